/**
 * Why an operation failed, in one line a person can act on: the error's own message followed by
 * its causes ("Could not describe stack X: Region is missing", "fetch failed: connect
 * ECONNREFUSED 127.0.0.1:3000 (connection refused)"). The product's adapters already keep
 * secrets out of their messages and attach the SDK's or Node's error as `cause`; these causes
 * are SDK and socket messages (names, hosts, ports), never a body or a token. Used by the CLI
 * and `npm start`.
 */

export type FailureKind = 'credentials' | 'region' | 'network' | 'other';

export interface FailureDescription {
  readonly kind: FailureKind;
  readonly message: string;
  /** What to do about it, when the kind says. */
  readonly hint?: string;
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed',
};

const CREDENTIAL_ERRORS =
  /^(CredentialsProviderError|TokenProviderError|ExpiredToken(Exception)?|UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|SignatureDoesNotMatch)$/;

const HINTS: Partial<Record<FailureKind, string>> = {
  credentials: 'Check your AWS credentials (AWS_PROFILE, `aws sso login`, or the AWS_* environment variables).',
  region: 'Pass --region <region> or set AWS_REGION.',
};

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

export function describeFailure(error: unknown): FailureDescription {
  const chain = causeChain(error);
  let message = '';
  let kind: FailureKind = 'other';
  for (const link of chain) {
    const name = typeof link.name === 'string' ? link.name : '';
    const text = typeof link.message === 'string' ? link.message.trim() : '';
    const code = typeof link.code === 'string' ? link.code : '';
    if (
      CREDENTIAL_ERRORS.test(name) ||
      /could not load credentials|security token included in the request is (invalid|expired)/i.test(text)
    )
      kind = 'credentials';
    else if (kind === 'other' && /region is missing|region not accepted/i.test(text)) kind = 'region';
    else if (kind === 'other' && NETWORK_CODES[code]) kind = 'network';
    // The first link speaks for itself; a cause adds only what the message does not say yet.
    const own = text && !message.includes(text) ? text : !message && name ? name : '';
    if (own) message = message ? `${message}: ${own}` : own;
    const plain = NETWORK_CODES[code];
    if (plain && !message.includes(plain)) message = `${message}${message.includes(code) ? '' : ` ${code}`} (${plain})`;
  }
  const hint = HINTS[kind];
  return { kind, message: message || 'unknown error', ...(hint ? { hint } : {}) };
}

/** The error and its causes, outermost first; an AggregateError contributes its first error. */
function causeChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && chain.length < 8 && !chain.includes(current as ErrorLike)) {
    const link = current as ErrorLike;
    chain.push(link);
    const aggregated = Array.isArray(link.errors) ? link.errors[0] : undefined;
    current = link.cause ?? aggregated;
  }
  if (chain.length === 0) chain.push({ message: String(error) });
  return chain;
}
