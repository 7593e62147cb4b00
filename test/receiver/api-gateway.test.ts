import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isCanonicalBase64, isPayloadFormatV2, readRawBody, toWebhookRequest } from '../../lambda/receiver/api-gateway';
import { httpApiWebhookEvent, webhookEvent } from '../../local/api-gateway-events';

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

  it('accepts exactly the base64 that re-encodes to itself, whatever was changed in it', () => {
    const reencodes = (text: string) => Buffer.from(text, 'base64').toString('base64') === text;
    const edit = fc.oneof(
      fc.constant(''),
      fc.constantFrom('-', '_', '=', ' ', '\n', '!', '.', 'é', '==', '===', 'A', '+', '/', 'AA==', '\u0000'),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), edit, fc.nat(), fc.boolean(), (bytes, at, inserted, flip, replace) => {
        let text = Buffer.from(bytes).toString('base64');
        const index = text.length === 0 ? 0 : at % (text.length + 1);
        text =
          replace && inserted !== ''
            ? text.slice(0, index) + inserted + text.slice(index + 1)
            : text.slice(0, index) + inserted + text.slice(index);
        // Sometimes change one character to its neighbour in the alphabet (padding bits, URL-safe forms).
        if (flip % 3 === 0 && text.length > 0) {
          const position = flip % text.length;
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
          const next = alphabet[(alphabet.indexOf(text[position]!) + 1) % alphabet.length]!;
          text = text.slice(0, position) + next + text.slice(position + 1);
        }
        expect(isCanonicalBase64(text, Buffer.from(text, 'base64'))).toBe(reencodes(text));
      }),
      { numRuns: 5000 },
    );
    for (const text of ['QQ==', 'QR==', 'QUI=', 'QUJ=', 'Q===', 'QQ=A', 'QQ==QQ==', 'ab-_', 'ab+/', ' QQ==', '', '====']) {
      expect({ text, canonical: isCanonicalBase64(text, Buffer.from(text, 'base64')) }).toEqual({ text, canonical: reencodes(text) });
    }
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

describe('toWebhookRequest, HTTP API payload format 2.0', () => {
  it('tells the formats apart by their version field', () => {
    expect(isPayloadFormatV2(httpApiWebhookEvent({ body: '{}' }))).toBe(true);
    expect(isPayloadFormatV2(webhookEvent({ body: '{}' }))).toBe(false);
  });

  it('looks lower-cased header names up in any case; a repeated header is one comma-joined value', () => {
    const request = toWebhookRequest(
      httpApiWebhookEvent({ body: '{}', headers: { 'Webhook-Signature': ['a', 'b'], 'X-Token': 't' } }),
      100,
    );
    expect(request.headerValues('WEBHOOK-SIGNATURE')).toEqual(['a,b']);
    expect(request.headerValues('x-token')).toEqual(['t']);
    expect(request.headerValues('missing')).toEqual([]);
  });

  it('puts the cookies API Gateway moved out of the headers back into one cookie header', () => {
    const request = toWebhookRequest(httpApiWebhookEvent({ body: '{}', cookies: ['a=1', 'b=2'] }), 100);
    expect(request.headerValues('Cookie')).toEqual(['a=1; b=2']);
    expect(toWebhookRequest(httpApiWebhookEvent({ body: '{}' }), 100).headerValues('cookie')).toEqual([]);
  });

  it('reads text and base64 bodies to the same bytes, an absent body as empty, and keeps the request id', () => {
    const bytes = Buffer.from('{"a":"ç"}');
    const text = toWebhookRequest(httpApiWebhookEvent({ body: bytes.toString('utf8') }), 100);
    const base64 = toWebhookRequest(httpApiWebhookEvent({ body: bytes, base64: true }), 100);
    expect(text.body).toEqual({ kind: 'bytes', bytes });
    expect(base64.body).toEqual({ kind: 'bytes', bytes });
    expect(base64.requestId).toBe('req-v2-0001');
    expect(toWebhookRequest(httpApiWebhookEvent({ body: null }), 100).body).toEqual({ kind: 'bytes', bytes: Buffer.alloc(0) });
    expect(toWebhookRequest(httpApiWebhookEvent({ body: 'x'.repeat(101) }), 100).body.kind).toBe('too-large');
  });

  it('ignores header values that are not strings', () => {
    const event = httpApiWebhookEvent({ body: '{}' });
    (event.headers as Record<string, unknown>)['webhook-signature'] = null;
    expect(toWebhookRequest(event, 100).headerValues('webhook-signature')).toEqual([]);
  });
});
