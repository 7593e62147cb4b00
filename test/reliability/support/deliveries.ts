/**
 * Deliveries as Amani sends them (signed over Python's `json.dumps` of the payload, by
 * `local/amani-sender.ts`), carrying sentinel personal data, and their forged twins.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { prepareDelivery, type WireFormat } from '../../../local/amani-sender';
import { webhookEvent } from '../../../local/api-gateway-events';
import type { LeakWatch } from './hygiene';

export function randomToken(label = 'token'): string {
  return `${label}-${randomBytes(16).toString('hex')}`;
}

/** A KYC-like payload whose personal fields are sentinels registered with `watch`. */
export function kycPayload(watch: LeakWatch, event = 'profile_status_change'): Record<string, unknown> {
  return {
    event,
    created_at: new Date().toISOString(),
    profile: {
      id: randomUUID(),
      status: 'APPROVED',
      first_name: watch.sentinel('first-name'),
      last_name: watch.sentinel('last-name'),
      id_card_number: watch.sentinel('id-number'),
      birth_date: '1980-02-29',
      address: { line1: watch.sentinel('address'), city: 'İstanbul' },
      email: `${watch.sentinel('email')}@example.invalid`,
    },
  };
}

export interface Delivery {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly forged: boolean;
  /** What the signature covers (Python's json.dumps of the payload); the delivery id is its hash. */
  readonly signedText?: string;
}

/** Signed with `token` (registered with `watch` as a signature), `python` wire form by default. */
export function signedDelivery(
  watch: LeakWatch,
  payload: Record<string, unknown>,
  token: string,
  options: { wire?: WireFormat; forged?: boolean } = {},
): Delivery {
  const prepared = prepareDelivery({ payload, token, authMode: 'signature', wire: options.wire ?? 'python' });
  watch.add('signature', prepared.headers['Webhook-Signature']);
  return { body: prepared.body, headers: prepared.headers, forged: options.forged ?? false, signedText: prepared.signedText };
}

/** The same payload signed with a token the receiver does not know. */
export function forgedDelivery(watch: LeakWatch, payload: Record<string, unknown>): Delivery {
  const wrong = randomToken('forger');
  watch.add('token', wrong);
  return signedDelivery(watch, payload, wrong, { forged: true });
}

/** The API Gateway event of a delivery (binary media type: the body arrives base64-encoded). */
export function gatewayEvent(delivery: Pick<Delivery, 'body' | 'headers'>): APIGatewayProxyEvent {
  const event = webhookEvent({ body: delivery.body, headers: delivery.headers, base64: true });
  return { ...event, requestContext: { ...event.requestContext, requestId: randomUUID() } };
}
