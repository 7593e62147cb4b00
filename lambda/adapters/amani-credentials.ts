import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { SafeError } from '../core/errors';
import type { AmaniCredentials } from '../core/ports';
import { isAwsError } from './aws-clients';
import { SecretUnavailableError } from './token-secret-store';

/**
 * The Amani API credentials secret (public contract): SecretString is JSON, either
 * `{"username": "...", "password": "..."}` (the client logs in and uses the returned `access`)
 * or `{"userToken": "..."}` (used as the bearer token as it is). When both shapes are present,
 * username/password wins: a login can be repeated when the access token expires.
 */
// Values are used exactly as stored (no trimming); a blank one is as good as absent.
const nonBlank = z.string().refine((value) => value.trim() !== '');
const loginCredentials = z.object({ username: nonBlank, password: nonBlank });
const userTokenCredentials = z.object({ userToken: nonBlank });

const EXPECTED = 'expected JSON {"username": "...", "password": "..."} or {"userToken": "..."} with non-empty strings';

/** The secret exists but holds no usable credentials (or does not exist). Never carries a value. */
export class AmaniCredentialsMissingError extends SafeError {
  constructor(problem: string) {
    super(`The Amani API credentials secret ${problem}; ${EXPECTED}`, { failure: 'client' });
    this.name = 'AmaniCredentialsMissingError';
  }
}

/**
 * Reads and validates the credentials. A missing, empty or malformed secret is an
 * `AmaniCredentialsMissingError`; a Secrets Manager failure (access denied, throttling, ...) is a
 * `SecretUnavailableError`. Messages name what is wrong, never a value.
 */
export async function readAmaniCredentials(client: SecretsManagerClient, secretId: string): Promise<AmaniCredentials> {
  let secretString: string | undefined;
  try {
    secretString = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) throw new AmaniCredentialsMissingError('does not exist or has no value yet');
    throw new SecretUnavailableError('GetSecretValue (Amani API credentials)', error);
  }
  return parseAmaniCredentials(secretString);
}

export function parseAmaniCredentials(secretString: string | undefined): AmaniCredentials {
  if (secretString === undefined) throw new AmaniCredentialsMissingError('has no SecretString');
  if (secretString.trim() === '') throw new AmaniCredentialsMissingError('is empty');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new AmaniCredentialsMissingError('is not JSON');
  }
  const login = loginCredentials.safeParse(json);
  if (login.success) return { username: login.data.username, password: login.data.password };
  const userToken = userTokenCredentials.safeParse(json);
  if (userToken.success) return { userToken: userToken.data.userToken };
  // Name the fields that are present (keys only) to help the operator; never their values.
  const keys = json !== null && typeof json === 'object' && !Array.isArray(json) ? Object.keys(json).filter(isKnownField) : [];
  const detail =
    keys.length > 0 ? `has ${keys.map((key) => `"${key}"`).join(', ')} but not a complete, non-empty set` : 'has neither shape';
  throw new AmaniCredentialsMissingError(detail);
}

function isKnownField(key: string): boolean {
  return key === 'username' || key === 'password' || key === 'userToken';
}
