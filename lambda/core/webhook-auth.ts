import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SIGNATURE_FORMS } from './event-contract-values';
import type { CandidateToken, TokenGeneration } from './token-secret';
import type { AUTH_MODES } from './validators';

/**
 * Authentication of an Amani delivery: signature mode (HMAC-SHA256 of the message, base64)
 * or token mode (the token itself in a header). Pure: no I/O, no clock, no AWS.
 *
 * Every comparison of secret-derived bytes is constant-time over fixed-length digests, so the
 * time a rejection takes does not depend on how much of a signature or token matched.
 */
export type AuthMode = (typeof AUTH_MODES)[number];

/** Which message a signature matched: the raw body, or CPython's `json.dumps` of it (the event contract's `signatureForm`). */
export type SignatureForm = (typeof SIGNATURE_FORMS)[number];

/**
 * Why a delivery was refused. Operators see the reason in metrics and logs; the caller only
 * ever sees one generic 401.
 */
export type AuthFailureReason =
  | 'missing-credential'
  | 'malformed-credential'
  | 'ambiguous-credential'
  | 'bad-credential'
  | 'expired-token'
  | 'no-token-configured';

export type AuthResult =
  | {
      readonly ok: true;
      readonly generation: TokenGeneration;
      readonly form?: SignatureForm;
      /** With `form: python-json`: the canonical bytes the signature matched. */
      readonly signed?: Uint8Array | string;
    }
  | { readonly ok: false; readonly reason: AuthFailureReason };

const SHA256_BYTES = 32;
/** Standard, padded base64 of 32 bytes: 43 significant characters and one `=`. */
const SIGNATURE_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** Decodes a signature header strictly; anything but canonical base64 of 32 bytes is malformed. */
export function decodeSignature(headerValue: string): Buffer | undefined {
  const value = headerValue.trim();
  if (!SIGNATURE_PATTERN.test(value)) return undefined;
  const digest = Buffer.from(value, 'base64');
  return digest.length === SHA256_BYTES ? digest : undefined;
}

export function hmacSha256(token: string, message: Uint8Array | string): Buffer {
  const hmac = createHmac('sha256', Buffer.from(token, 'utf8'));
  // The canonical form is pure ASCII, so latin1 hashes exactly its bytes without a UTF-8 encoding pass.
  return typeof message === 'string' ? hmac.update(message, 'latin1').digest() : hmac.update(message).digest();
}

export interface SignatureCheck {
  /** The header's value; undefined when the header is absent. */
  readonly signature: string | undefined;
  readonly body: Uint8Array;
  readonly tokens: readonly CandidateToken[];
  /** CPython's `json.dumps(json.loads(body))`, computed only if the raw body does not match. */
  readonly canonicalForm: () => Uint8Array | string | undefined;
  /**
   * Tried before `canonicalForm` when given: the canonical form with floats as written
   * (`pythonJsonDumpsQuick`), and whether it is exact (then `canonicalForm` is not needed).
   */
  readonly quickCanonicalForm?: () => { readonly bytes: Uint8Array; readonly exact: boolean } | undefined;
  /** A previous token past its grace: never accepted, only used to label the rejection. */
  readonly expiredToken?: string;
}

/** How a signature is computed; `hmacSha256` unless a test counts the computations. */
export type Mac = (token: string, message: Uint8Array | string) => Buffer;

/**
 * Raw body first (Amani signs the bytes it sends in most cases); the canonical form only when
 * the raw body matched no token and differs from it; the expired token only to label a refusal.
 */
export function verifySignature(check: SignatureCheck, mac: Mac = hmacSha256): AuthResult {
  if (check.signature === undefined || check.signature.trim() === '') return { ok: false, reason: 'missing-credential' };
  const expected = decodeSignature(check.signature);
  if (!expected) return { ok: false, reason: 'malformed-credential' };
  if (check.tokens.length === 0) return { ok: false, reason: 'no-token-configured' };

  const raw = matchingToken(check.tokens, check.body, expected, mac);
  if (raw) return { ok: true, generation: raw.generation, form: 'raw' };
  const candidates: (Uint8Array | string)[] = [];
  const quick = check.quickCanonicalForm?.();
  if (quick !== undefined && !sameBytes(quick.bytes, check.body)) {
    candidates.push(quick.bytes);
    const matched = matchingToken(check.tokens, quick.bytes, expected, mac);
    if (matched) return { ok: true, generation: matched.generation, form: 'python-json', signed: quick.bytes };
  }
  const canonical = quick?.exact ? undefined : differentCanonicalForm(check);
  if (canonical !== undefined && !(quick !== undefined && sameBytes(canonical, quick.bytes))) {
    candidates.push(canonical);
    const matched = matchingToken(check.tokens, canonical, expected, mac);
    if (matched) return { ok: true, generation: matched.generation, form: 'python-json', signed: canonical };
  }
  if (check.expiredToken !== undefined) {
    const expired = check.expiredToken;
    const matchesExpired = [check.body, ...candidates].some((message) => timingSafeEqual(mac(expired, message), expected));
    if (matchesExpired) return { ok: false, reason: 'expired-token' };
  }
  return { ok: false, reason: 'bad-credential' };
}

function matchingToken(
  tokens: readonly CandidateToken[],
  message: Uint8Array | string,
  expected: Buffer,
  mac: Mac,
): CandidateToken | undefined {
  return tokens.find((token) => timingSafeEqual(mac(token.value, message), expected));
}

/** The canonical form, unless it is byte-identical to the raw body (then it was already tried). */
function differentCanonicalForm(check: SignatureCheck): Uint8Array | string | undefined {
  const canonical = check.canonicalForm();
  return canonical === undefined || sameBytes(canonical, check.body) ? undefined : canonical;
}

/** Whether an ASCII text (bytes, or a string of them) is these bytes. */
function sameBytes(text: Uint8Array | string, bytes: Uint8Array): boolean {
  return text.length === bytes.length && asciiBytes(text).equals(bytes);
}

/** An ASCII text, given as bytes or as a string of them, as a Buffer (a view of the bytes, not a copy). */
export function asciiBytes(text: Uint8Array | string): Buffer {
  return typeof text === 'string' ? Buffer.from(text, 'latin1') : Buffer.from(text.buffer, text.byteOffset, text.byteLength);
}

export interface TokenCheck {
  readonly presented: string | undefined;
  readonly tokens: readonly CandidateToken[];
  readonly expiredToken?: string;
}

/**
 * Token mode. Both sides are hashed first so the comparison is constant-time even when the
 * lengths differ (timingSafeEqual needs equal lengths, and length itself must not leak).
 */
export function verifyToken(check: TokenCheck): AuthResult {
  if (check.presented === undefined || check.presented.trim() === '') return { ok: false, reason: 'missing-credential' };
  if (check.tokens.length === 0) return { ok: false, reason: 'no-token-configured' };
  const presented = sha256(check.presented.trim());
  let match: TokenGeneration | undefined;
  // No early exit: every candidate is compared, so timing does not reveal which generation matched.
  for (const token of check.tokens) {
    if (timingSafeEqual(sha256(token.value), presented) && match === undefined) match = token.generation;
  }
  if (match !== undefined) return { ok: true, generation: match };
  if (check.expiredToken !== undefined && timingSafeEqual(sha256(check.expiredToken), presented)) {
    return { ok: false, reason: 'expired-token' };
  }
  return { ok: false, reason: 'bad-credential' };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
