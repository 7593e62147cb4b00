import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  buildBusEntry,
  busEntrySize,
  busEntrySizeAtMost,
  deliveryIdOf,
  deliveryMetadata,
  detailFromBytes,
  eventNameOf,
  parseJsonObject,
  valueAtPath,
} from '../../lambda/core/delivery-event';

const HASH = 'a'.repeat(64);

describe('the body as the event carries it (detailFromBytes, parseJsonObject)', () => {
  const metadata = deliveryMetadata({
    deliveryId: HASH,
    receivedAt: '2026-01-01T00:00:00.000Z',
    authMode: 'signature',
    tokenGeneration: 'current',
    bodySha256: HASH,
  });
  const bodyText = (text: string) => detailFromBytes(metadata, Buffer.from(text, 'utf8')).bodyText;

  it('accepts JSON objects only', () => {
    expect(bodyText('{"a":1}')).toBe('{"a":1}');
    expect(parseJsonObject(bodyText('{"a":1}'))).toEqual({ a: 1 });
    expect(bodyText('\ufeff {"a":1}\n')).toBe('{"a":1}');
    expect(parseJsonObject(bodyText('\ufeff {"a":1}\n'))).toEqual({ a: 1 });
    for (const text of ['[]', '1', '"x"', 'null', 'true', '', '{', '{"a":NaN}', "{'a':1}"]) {
      expect(parseJsonObject(bodyText(text))).toBeUndefined();
    }
  });

  it('makes the Detail around exactly that text, with the metadata first', () => {
    const { detail } = detailFromBytes(metadata, Buffer.from(' {"a":"é"} ', 'utf8'));
    expect(detail).toBe(`{"metadata":${JSON.stringify(metadata)},"data":{"a":"é"}}`);
    expect(JSON.parse(detail)).toEqual({ metadata, data: { a: 'é' } });
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const value = parseJsonObject(bodyText(text));
        return value === undefined || typeof value === 'object';
      }),
      { numRuns: 2000 },
    );
  });
});

describe('event name and delivery id', () => {
  it('walks dotted paths through objects only', () => {
    expect(valueAtPath({ a: { b: { c: 1 } } }, 'a.b.c')).toBe(1);
    expect(valueAtPath({ a: [{ b: 1 }] }, 'a.0.b')).toBeUndefined();
    expect(valueAtPath({ a: 1 }, 'a.b')).toBeUndefined();
    expect(valueAtPath({}, 'constructor')).toBeUndefined();
    expect(valueAtPath({}, '__proto__')).toBeUndefined();
  });

  it('uses the first path holding a safe name, else "webhook"', () => {
    const paths = ['event', 'meta.type'];
    expect(eventNameOf({ event: 'profile_create' }, paths)).toBe('profile_create');
    expect(eventNameOf({ event: 'has spaces', meta: { type: 'document_upload' } }, paths)).toBe('document_upload');
    expect(eventNameOf({ event: 'x'.repeat(129) }, paths)).toBe('webhook');
    expect(eventNameOf({ event: 42 }, paths)).toBe('webhook');
  });

  it("uses the body's own id when usable, else the body hash", () => {
    const paths = ['delivery_id', 'event_id'];
    expect(deliveryIdOf({ delivery_id: 'abc-123' }, paths, HASH)).toBe('abc-123');
    expect(deliveryIdOf({ event_id: 12345 }, paths, HASH)).toBe('12345');
    expect(deliveryIdOf({ delivery_id: 1.5 }, paths, HASH)).toBe(HASH);
    expect(deliveryIdOf({ delivery_id: 'John Smith <john@example.com>' }, paths, HASH)).toBe(HASH);
    expect(deliveryIdOf({ id: 'profile-1' }, paths, HASH)).toBe(HASH);
  });
});

describe('buildBusEntry', () => {
  it('embeds the body text unchanged as data and the metadata beside it', () => {
    const bodyJson = '{"big":12345678901234567890123,"name":"Zoë","x":1.0}';
    const entry = buildBusEntry({
      source: 'amani',
      eventBusName: 'bus',
      detailType: 'profile_update',
      bodyJson,
      metadata: deliveryMetadata({
        deliveryId: 'd',
        receivedAt: '2026-01-01T00:00:00.000Z',
        authMode: 'token',
        tokenGeneration: 'current',
        bodySha256: HASH,
      }),
    });
    expect(entry.Detail).toBe(
      `{"metadata":{"version":"1","deliveryId":"d","receivedAt":"2026-01-01T00:00:00.000Z","authMode":"token","tokenGeneration":"current","bodySha256":"${HASH}"},"data":${bodyJson}}`,
    );
    expect(JSON.parse(entry.Detail).data.name).toBe('Zoë');
    expect(busEntrySize(entry)).toBe(Buffer.byteLength(entry.Detail) + 'amani'.length + 'profile_update'.length);
  });
});

describe('busEntrySizeAtMost', () => {
  it('never under-estimates the exact entry size, whatever the body text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ maxLength: 40 }), (text, detailType) => {
        const bodyJson = JSON.stringify({ text });
        const bodyBytes = Buffer.byteLength(bodyJson);
        const entry = buildBusEntry({
          source: 'amani',
          eventBusName: 'bus',
          detailType,
          bodyJson,
          metadata: deliveryMetadata({
            deliveryId: 'd',
            receivedAt: '2026-01-01T00:00:00.000Z',
            authMode: 'signature',
            tokenGeneration: 'current',
            bodySha256: HASH,
          }),
        });
        const exact = busEntrySize(entry);
        const bound = busEntrySizeAtMost(entry, bodyJson, bodyBytes);
        return bound >= exact && bound <= exact + 3 * (detailType.length + 300);
      }),
      { numRuns: 500 },
    );
  });
});
