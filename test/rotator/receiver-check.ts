import { expect } from '@jest/globals';
import type { TokenSecret } from '../../lambda/core/token-secret';
import { amaniSignature } from '../helpers/amani-signing';
import { webhookEvent } from '../../local/api-gateway-events';
import { receiverHarness } from '../helpers/receiver-harness';

const BODY = JSON.stringify({ event: 'profile_status_change', delivery_id: 'dlv-rotation-1', profile: { status: 'APPROVED' } });

/** Status the REAL receiver answers, fed `secret`, for a delivery signed with `token`. */
export async function receiverStatus(secret: TokenSecret, token: string): Promise<number> {
  const receiver = receiverHarness({ secret });
  try {
    const result = await receiver.invoke(webhookEvent({ body: BODY, headers: { 'Webhook-Signature': amaniSignature(token, BODY) } }));
    for (const value of [token, secret.token, secret.previousToken]) if (value) expect(receiver.output.text()).not.toContain(value);
    return result.statusCode;
  } finally {
    receiver.dispose();
  }
}

/**
 * What a receiver fed the rotator's secret must do: accept Amani's current token; accept the
 * previous one only inside its grace window (and reject it once the window is over); reject
 * every other token Amani ever had.
 */
export async function expectReceiverHonours(secret: TokenSecret, amaniToken: string, history: readonly string[]): Promise<void> {
  expect(await receiverStatus(secret, amaniToken)).toBe(200);
  if (secret.previousToken) {
    expect(Date.parse(secret.previousTokenValidUntil ?? '')).toBeGreaterThan(Date.now());
    expect(await receiverStatus(secret, secret.previousToken)).toBe(200);
    const expired = { ...secret, previousTokenValidUntil: new Date(Date.now() - 1000).toISOString() };
    expect(await receiverStatus(expired, secret.previousToken)).toBe(401);
  }
  for (const stale of history) {
    if (stale !== amaniToken && stale !== secret.previousToken) expect(await receiverStatus(secret, stale)).toBe(401);
  }
}
