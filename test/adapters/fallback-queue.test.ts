import { describe, expect, it } from '@jest/globals';
import { encodeParkedDelivery } from '../../lambda/adapters/fallback-queue';
import type { ParkedDelivery } from '../../lambda/core/ports';

describe('encodeParkedDelivery', () => {
  const parked = (data: string): ParkedDelivery => ({
    version: 1,
    deliveryId: 'd',
    reason: 'ThrottlingException (budget)',
    parkedAt: '2026-01-01T00:00:00.000Z',
    entry: { Source: 'amani', DetailType: 'x', EventBusName: 'bus', Detail: `{"data":{"s":"${data}"}}` },
  });

  it('round-trips the entry exactly', () => {
    const delivery = parked('Zoë 😀');
    expect(JSON.parse(encodeParkedDelivery(delivery))).toEqual(delivery);
  });

  it('escapes the characters SQS refuses, keeping the JSON equal', () => {
    const delivery = parked('a\ufffeb\uffffc');
    const encoded = encodeParkedDelivery(delivery);
    expect(encoded).not.toMatch(/[\ufffe\uffff]/);
    expect(JSON.parse(encoded)).toEqual(delivery);
    // The regex used to detect them must not keep state between calls.
    expect(encodeParkedDelivery(delivery)).toBe(encoded);
  });
});
