import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readRawBody, toWebhookRequest } from '../../lambda/receiver/api-gateway';
import { webhookEvent } from '../../local/api-gateway-events';

describe('readRawBody', () => {
  it('returns the exact bytes of base64 bodies, including invalid UTF-8', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const body = readRawBody({ body: Buffer.from(bytes).toString('base64'), isBase64Encoded: true }, 1000);
        return body.kind === 'bytes' && body.bytes.equals(Buffer.from(bytes));
      }),
    );
  });

  it('refuses oversized bodies from their length, both encodings, at the exact limit', () => {
    const limit = 100;
    expect(readRawBody({ body: 'x'.repeat(100), isBase64Encoded: false }, limit).kind).toBe('bytes');
    expect(readRawBody({ body: 'x'.repeat(101), isBase64Encoded: false }, limit).kind).toBe('too-large');
    expect(readRawBody({ body: 'é'.repeat(51), isBase64Encoded: false }, limit).kind).toBe('too-large');
    expect(readRawBody({ body: Buffer.alloc(100).toString('base64'), isBase64Encoded: true }, limit).kind).toBe('bytes');
    expect(readRawBody({ body: Buffer.alloc(101).toString('base64'), isBase64Encoded: true }, limit).kind).toBe('too-large');
    expect(readRawBody({ body: 'A'.repeat(10_000_000), isBase64Encoded: true }, limit).kind).toBe('too-large');
  });

  it('flags invalid base64 and treats a missing body as empty', () => {
    expect(readRawBody({ body: 'abc', isBase64Encoded: true }, 100).kind).toBe('invalid-base64');
    expect(readRawBody({ body: 'ab!=', isBase64Encoded: true }, 100).kind).toBe('invalid-base64');
    const empty = readRawBody({ body: null, isBase64Encoded: false }, 100);
    expect(empty.kind === 'bytes' && empty.bytes.length).toBe(0);
  });
});

describe('toWebhookRequest', () => {
  it('looks headers up case-insensitively across single and multi-value maps', () => {
    const request = toWebhookRequest(
      webhookEvent({
        body: '{}',
        headers: { 'webhook-signature': 'b' },
        multiValueHeaders: { 'Webhook-Signature': ['a'], 'WEBHOOK-SIGNATURE': ['c'] },
      }),
      100,
    );
    expect(request.headerValues('Webhook-Signature')).toEqual(['a', 'c']);
    const single = toWebhookRequest(webhookEvent({ body: '{}', headers: { 'X-Token': 't' }, multiValueHeaders: {} }), 100);
    expect(single.headerValues('x-token')).toEqual(['t']);
    expect(single.headerValues('missing')).toEqual([]);
  });
});
