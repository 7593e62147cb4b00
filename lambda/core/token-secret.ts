import * as z from 'zod/mini';
import { SafeError } from './errors';
import type { TOKEN_GENERATIONS } from './event-contract-values';

/**
 * The webhook token secret as stored in Secrets Manager (public contract, docs/contract.md).
 * Only `token` is required once bootstrapped; a secret without it means "not bootstrapped yet".
 */
export const tokenSecretSchema = z.object({
  token: z.optional(z.string().check(z.minLength(1))),
  previousToken: z.optional(z.string().check(z.minLength(1))),
  previousTokenValidUntil: z.optional(z.iso.datetime({ offset: true })),
  rotatedAt: z.optional(z.iso.datetime({ offset: true })),
  /** When a reconcile last found at Amani a token this stack had never stored (see rotation.ts). */
  tokenChangedElsewhereAt: z.optional(z.iso.datetime({ offset: true })),
});

export type TokenSecret = z.infer<typeof tokenSecretSchema>;

/** The stored secret is malformed; reading it again returns the same value, so it is a `client` failure. */
export class TokenSecretFormatError extends SafeError {
  constructor(issues: string) {
    // zod issues name paths and expectations, never the values themselves.
    super(`The webhook token secret is not in the expected shape: ${issues}`, { failure: 'client' });
    this.name = 'TokenSecretFormatError';
  }
}

/** Parses a SecretString; an empty or missing string is an un-bootstrapped secret. */
export function parseTokenSecret(secretString: string | undefined): TokenSecret {
  if (secretString === undefined || secretString.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new TokenSecretFormatError('SecretString is not JSON');
  }
  const parsed = tokenSecretSchema.safeParse(json);
  if (!parsed.success) {
    throw new TokenSecretFormatError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; '),
    );
  }
  return parsed.data;
}

/** Which stored token matched (the event contract's `tokenGeneration`). */
export type TokenGeneration = (typeof TOKEN_GENERATIONS)[number];

export interface CandidateToken {
  readonly generation: TokenGeneration;
  readonly value: string;
}

/**
 * Tokens a delivery may be authenticated with at `now`: the current one and, strictly before
 * `previousTokenValidUntil`, the previous one (deliveries in flight or retried across a rotation).
 * A previous token without an end of grace is never accepted: open-ended validity would defeat rotation.
 */
export function acceptedTokens(secret: TokenSecret, now: Date): CandidateToken[] {
  const tokens: CandidateToken[] = [];
  if (secret.token) tokens.push({ generation: 'current', value: secret.token });
  if (secret.previousToken && secret.previousToken !== secret.token && isBefore(now, secret.previousTokenValidUntil)) {
    tokens.push({ generation: 'previous', value: secret.previousToken });
  }
  return tokens;
}

/** The previous token once its grace has ended (used only to label a rejection, never to accept). */
export function expiredPreviousToken(secret: TokenSecret, now: Date): string | undefined {
  if (!secret.previousToken || secret.previousToken === secret.token) return undefined;
  return isBefore(now, secret.previousTokenValidUntil) ? undefined : secret.previousToken;
}

function isBefore(now: Date, isoInstant: string | undefined): boolean {
  if (!isoInstant) return false;
  const end = Date.parse(isoInstant);
  return Number.isFinite(end) && now.getTime() < end;
}
