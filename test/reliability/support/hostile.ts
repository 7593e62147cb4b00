/**
 * Generators of hostile deliveries for the fast-check suites: bodies (random bytes, random
 * text, JSON of every shape, adversarial JSON text, invalid UTF-8, deep nesting, huge numbers),
 * credentials that are forged in every way we could think of, header layouts (case, duplicates,
 * API Gateway's single and multi-value maps, noise headers named like Object.prototype members,
 * oversized values) and body encodings (base64, text, broken base64).
 */
import { createHmac } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import fc from 'fast-check';
import { pythonJsonDumpsBytes } from '../../../lambda/core/python-json';
import { webhookEvent } from '../../../local/api-gateway-events';

export const hmacBase64 = (token: string, message: Uint8Array | string) =>
  createHmac('sha256', Buffer.from(token, 'utf8')).update(message).digest('base64');

// ---------------------------------------------------------------------------------- bodies

const whitespace = fc.constantFrom('', ' ', '  ', '\n', '\t', '\r\n', ' \n\t ');
const jsonString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.constantFrom(
    '"\\ud800"',
    '"\\udfff\\ud800"',
    '"\\u0000"',
    '"a\\/b"',
    '"\\"\\\\"',
    '"\\ud83d\\ude00"',
    '"\\uFEFF"',
    '"é"',
    '"😀"',
    '"\u2028\u2029"',
  ),
);
const jsonNumber = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1E+2',
    '1e-7',
    '-0',
    '0.0',
    '1.5E-10',
    '123456789012345678901234567890',
    '-0.000000000000000000001',
    `1${'0'.repeat(400)}`,
  ),
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map(String),
);
const key = fc.oneof(
  fc.constantFrom(
    '"event"',
    '"delivery_id"',
    '"event_id"',
    '"type"',
    '"__proto__"',
    '"constructor"',
    '"toString"',
    '"profile"',
    '""',
    '"event"',
  ),
  jsonString,
);

/** JSON text as a hostile sender would write it: odd whitespace, duplicate keys, every escape, huge numbers. */
export const adversarialJsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    jsonNumber,
    jsonString,
    fc.constantFrom('true', 'false', 'null'),
    tie('object'),
    tie('array'),
  ),
  object: fc
    .array(fc.tuple(whitespace, key, whitespace, tie('value'), whitespace), { maxLength: 5 })
    .map((members) => `{${members.map(([a, k, b, v, c]) => `${a}${k}${b}:${c}${v}`).join(',')}}`),
  array: fc.array(fc.tuple(whitespace, tie('value')), { maxLength: 5 }).map((items) => `[${items.map(([w, v]) => `${w}${v}`).join(',')}]`),
})).object;

/** Byte sequences that are not UTF-8: lone continuation bytes, overlong forms, encoded surrogates, truncations. */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .tuple(
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      [0x80],
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xff],
      [0xe2, 0x82],
      [0xf0, 0x9f, 0x98],
    ),
    fc.string({ maxLength: 20 }),
  )
  .map(([before, bad, after]) =>
    Buffer.concat([
      Buffer.from(`{"a":"${before.replace(/["\\]/g, '')}`),
      Buffer.from(bad),
      Buffer.from(`${after.replace(/["\\]/g, '')}"}`),
    ]),
  );

const deep: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('array', 'object'))
  .map(([depth, kind]) =>
    kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
  )
  .map((inner) => `{"event":"profile_update","nested":${inner}}`);

const hugeNumbers: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 300, max: 6000 }), fc.constantFrom('int', 'negative', 'exponent', 'fraction'))
  .map(([digits, kind]) => {
    const run = '9'.repeat(digits);
    const number = kind === 'int' ? run : kind === 'negative' ? `-${run}` : kind === 'exponent' ? `1e${run.slice(0, 6)}` : `0.${run}`;
    return `{"amount": ${number}}`;
  });

/** Any body at all, as bytes. `sentinels` are planted in the KYC-like ones. */
export function anyBody(sentinels: readonly string[]): fc.Arbitrary<Buffer> {
  const kyc = fc
    .record({
      event: fc.constantFrom('profile_create', 'document_upload', 'profile_status_change', 'not an event name!', ''),
      delivery_id: fc.option(fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.integer(), fc.constant(2 ** 60)), { nil: undefined }),
      profile: fc.record({
        first_name: fc.constantFrom(...sentinels),
        id_card_number: fc.constantFrom(...sentinels),
        note: fc.string({ unit: 'grapheme', maxLength: 30 }),
      }),
      extra: fc.jsonValue({ maxDepth: 3 }),
    })
    .chain((payload) =>
      fc.constantFrom(
        JSON.stringify(payload),
        JSON.stringify(payload, null, 2),
        JSON.stringify(payload).replace(/,/g, ', ').replace(/:/g, ': '),
      ),
    );
  return fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ unit: 'binary', maxLength: 400 }).map((text) => Buffer.from(text, 'utf8')),
    fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null', 'utf8')),
    kyc.map((text) => Buffer.from(text, 'utf8')),
    adversarialJsonText.map((text) => Buffer.from(text, 'utf8')),
    fc
      .tuple(fc.constantFrom('\ufeff', ' \n', ''), adversarialJsonText, whitespace)
      .map(([prefix, text, suffix]) => Buffer.from(prefix + text + suffix, 'utf8')),
    invalidUtf8,
    fc
      .tuple(adversarialJsonText, fc.constantFrom('utf16le', 'latin1') as fc.Arbitrary<BufferEncoding>)
      .map(([text, encoding]) => Buffer.from(text, encoding)),
    deep.map((text) => Buffer.from(text, 'utf8')),
    hugeNumbers.map((text) => Buffer.from(text, 'utf8')),
  );
}

/** What the receiver must make of an authentic body: a JSON object (200) or not (400). */
export function isJsonObjectBody(body: Buffer): boolean {
  if (!isUtf8(body)) return false;
  // A UTF-8 byte-order mark is not part of the text (a WHATWG decoder drops one; the receiver
  // also forgives a second one, which a JSON text cannot start with anyway).
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * The text the receiver publishes as `data` for a signed message: the signed `json.dumps` text
 * when only that matched, else the raw body (the raw HMAC is tried first, so a body that is its
 * own canonical form counts as raw).
 */
export function publishedText(body: Buffer, signed: { form: 'raw' | 'python-json'; message: Uint8Array | string }): Buffer {
  const message = Buffer.from(signed.message);
  return signed.form === 'python-json' && !message.equals(body) ? message : body;
}

/** The message a genuine signer may have signed: the raw body, or its CPython json.dumps form. */
export function signedMessages(body: Buffer): Array<{ form: 'raw' | 'python-json'; message: Uint8Array | string }> {
  const forms: Array<{ form: 'raw' | 'python-json'; message: Uint8Array | string }> = [{ form: 'raw', message: body }];
  const canonical = pythonJsonDumpsBytes(body);
  if (canonical !== undefined) forms.push({ form: 'python-json', message: Buffer.from(canonical, 'latin1') });
  return forms;
}

// ------------------------------------------------------------------------------ credentials

/**
 * Credential values that are certainly NOT a valid signature of `body` under `token` (nor of its
 * canonical form): each is labelled so a failure says which trick got through.
 */
export interface ForgedCredential {
  readonly trick: string;
  readonly values: readonly string[];
}

export function forgedSignatures(body: Buffer, token: string, otherTokens: readonly string[]): fc.Arbitrary<ForgedCredential> {
  const valid = hmacBase64(token, body);
  const validDigest = Buffer.from(valid, 'base64');
  const variants: Array<{ trick: string; value: string }> = [
    { trick: 'url-safe base64', value: valid.replace(/\+/g, '-').replace(/\//g, '_') },
    { trick: 'no padding', value: valid.replace(/=+$/, '') },
    { trick: 'hex digest', value: validDigest.toString('hex') },
    { trick: 'space inside', value: `${valid.slice(0, 20)} ${valid.slice(20)}` },
    { trick: 'twice', value: `${valid}${valid}` },
    { trick: 'comma list', value: `${valid}, ${valid}` },
    { trick: 'prefixed', value: `sha256=${valid}` },
    { trick: 'lower case', value: valid.toLowerCase() },
    { trick: 'upper case', value: valid.toUpperCase() },
  ].filter((variant) => variant.value !== valid);
  return fc.oneof<fc.Arbitrary<ForgedCredential>[]>(
    fc.constant({ trick: 'absent', values: [] }),
    fc.constantFrom('', ' ', '\t').map((value) => ({ trick: 'blank', values: [value] })),
    fc.string({ maxLength: 60 }).map((value) => ({ trick: 'junk', values: [value] })),
    fc
      .uint8Array({ minLength: 32, maxLength: 32 })
      .map((bytes) => ({ trick: 'random digest', values: [Buffer.from(bytes).toString('base64')] })),
    fc
      .uint8Array({ minLength: 0, maxLength: 64 })
      .map((bytes) => ({ trick: 'random base64 of another length', values: [Buffer.from(bytes).toString('base64')] })),
    fc.constantFrom(...otherTokens).map((other) => ({ trick: 'signed with another token', values: [hmacBase64(other, body)] })),
    fc.uint8Array({ maxLength: 64 }).map((other) => ({
      trick: 'signature of other bytes',
      values: [hmacBase64(token, Buffer.concat([Buffer.from('forged-nonce:'), other]))],
    })),
    fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 })).map(([byte, bit]) => {
      const flipped = Buffer.from(validDigest);
      flipped[byte]! ^= 1 << bit;
      return { trick: `one bit flipped (byte ${byte})`, values: [flipped.toString('base64')] };
    }),
    fc.integer({ min: 1, max: 31 }).map((matching) => {
      const partial = Buffer.from(validDigest);
      for (let i = matching; i < 32; i++) partial[i]! ^= 0xff;
      return { trick: `first ${matching} bytes right`, values: [partial.toString('base64')] };
    }),
    ...(variants.length > 0 ? [fc.constantFrom(...variants).map((variant) => ({ trick: variant.trick, values: [variant.value] }))] : []),
    fc
      .string({ maxLength: 20 })
      .map((junk) => ({ trick: 'valid + another value (ambiguous)', values: [valid, junk === valid ? `${junk}x` : junk] })),
    fc.constant({ trick: 'oversized header value', values: [`${valid}${'A'.repeat(64 * 1024)}`] }),
  );
}

// ----------------------------------------------------------------------------- headers & events

export type HeaderLayout = 'both' | 'single-only' | 'multi-only';

const noiseName = fc.oneof(
  fc.constantFrom(
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'Content-Type',
    'X-Forwarded-For',
    'Webhook-Signatures',
    'X-Webhook-Signature',
    'Webhook_Signature',
    'Webhook-Token',
  ),
  fc.string({ minLength: 1, maxLength: 20 }),
);
export const noiseHeaders: fc.Arbitrary<Array<[string, string]>> = fc.array(
  fc.tuple(noiseName, fc.oneof(fc.string({ maxLength: 40 }), fc.constant('x'.repeat(10_000)))),
  { maxLength: 6 },
);

/** A case variant of a header name (HTTP header names are case-insensitive). */
export const nameCase = (name: string) =>
  fc.constantFrom(
    name,
    name.toLowerCase(),
    name.toUpperCase(),
    name.replace(/-(\w)/g, (_, c: string) => `-${c.toLowerCase()}`),
  );

export type BodyEncoding = 'base64' | 'text' | 'broken-base64';

/**
 * An API Gateway proxy event for `body` with `headers` (name, value) pairs, repeated names kept
 * as API Gateway keeps them: every value in multiValueHeaders, the last one in headers.
 */
export function proxyEvent(
  body: Buffer,
  headers: ReadonlyArray<readonly [string, string]>,
  layout: HeaderLayout,
  encoding: BodyEncoding,
): APIGatewayProxyEvent {
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [name, value] of headers) {
    single.set(name, value);
    multi.set(name, [...(multi.get(name) ?? []), value]);
  }
  const text =
    encoding === 'text' ? body.toString('utf8') : encoding === 'base64' ? body.toString('base64') : `${body.toString('base64')}*`;
  const base = webhookEvent({ body: null });
  return {
    ...base,
    body: text,
    isBase64Encoded: encoding !== 'text',
    headers: layout === 'multi-only' ? (null as unknown as APIGatewayProxyEvent['headers']) : Object.fromEntries(single),
    multiValueHeaders:
      layout === 'single-only' ? (null as unknown as APIGatewayProxyEvent['multiValueHeaders']) : Object.fromEntries(multi),
    requestContext: { ...base.requestContext, requestId: 'fuzz-request' },
  };
}
