/**
 * The real rotator as its Lambda entry builds it (`loadRotatorConfig` +
 * `buildRotator(config, createRotatorClients())`): its Secrets Manager client reaches the AWS
 * fake through AWS_ENDPOINT_URL, its Amani client the Amani simulator over HTTP. Only the
 * backoff waits are made instant (the retry policy has its own unit tests); client timeouts are
 * the product's. Each world has its own token and credentials secrets and its own Amani.
 */
import { randomBytes } from 'node:crypto';
import type { RetryEnvironment } from '../../../lambda/core/retry';
import type { RotationSummary } from '../../../lambda/core/rotation';
import { parseTokenSecret, type TokenSecret } from '../../../lambda/core/token-secret';
import { buildRotator, createRotatorClients } from '../../../lambda/rotator/build-rotator';
import { loadRotatorConfig } from '../../../lambda/rotator/env';
import { startAmaniSimulator, type AmaniSimulator } from '../../../local/amani-simulator';
import type { AwsEmulator } from './aws-fake';
import type { LeakWatch } from './hygiene';
import { lambdaContext } from './wire-receiver';

export const FAST_RETRIES: RetryEnvironment = {
  now: () => Date.now(),
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
  random: () => 0.5,
};

export const ROTATOR_ENV = {
  AMANI_TIMEOUT_MS: '500',
  STORE_RETRY_BUDGET_MS: '15000',
  PREVIOUS_TOKEN_GRACE_MINUTES: '60',
  MIN_ROTATION_AGE_MINUTES: '60',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
} as const;

let worlds = 0;

export interface RotationWorldOptions {
  /** The token secret's SecretString; default: in sync with Amani, rotated 40 days ago. */
  readonly secret?: TokenSecret;
  readonly env?: Record<string, string>;
  /** Wraps Amani's HTTP exchanges (crash points). */
  readonly fetch?: typeof fetch;
}

export async function rotationWorld(emulator: AwsEmulator, watch: LeakWatch, options: RotationWorldOptions = {}) {
  const name = `rotation-${++worlds}-${randomBytes(3).toString('hex')}`;
  const user = { username: `operator-${name}@example.invalid`, password: `password-${randomBytes(12).toString('hex')}` };
  const initialToken = `initial-${randomBytes(16).toString('hex')}`;
  const sim: AmaniSimulator = await startAmaniSimulator({ users: [user], initialToken });
  const tokenSecretId = `token-${name}`;
  const credentialsSecretId = `credentials-${name}`;
  emulator.putSecret(credentialsSecretId, JSON.stringify(user));
  const initialSecret: TokenSecret = options.secret ?? {
    token: initialToken,
    rotatedAt: new Date(Date.now() - 40 * 86_400_000).toISOString(),
  };
  emulator.putSecret(tokenSecretId, JSON.stringify(initialSecret));
  watch.add('password', user.password);
  watch.add('token', initialToken);

  const env = {
    TOKEN_SECRET_ID: tokenSecretId,
    CREDENTIALS_SECRET_ID: credentialsSecretId,
    AMANI_BASE_URL: sim.url,
    ...ROTATOR_ENV,
    ...options.env,
  };
  /** A new container: new clients, new Amani login, cold everything. */
  const container = () => {
    return buildRotator(loadRotatorConfig(env), createRotatorClients(), {
      retryEnvironment: FAST_RETRIES,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  };

  return {
    name,
    sim,
    user,
    initialToken,
    tokenSecretId,
    credentialsSecretId,
    /** One invocation in a fresh container; the error (if any) is registered for the leak check. */
    async run(
      payload: unknown = {},
    ): Promise<{ ok: true; summary: RotationSummary } | { ok: false; error: Error & { step?: string; amaniMayBeAhead?: boolean } }> {
      try {
        const summary = (await container()(payload, lambdaContext(60_000, undefined, 'amani-webhooks-rotator'))) as RotationSummary;
        return { ok: true, summary };
      } catch (error) {
        watch.addError(error);
        return { ok: false, error: error as Error };
      } finally {
        watch.add('token', ...sim.tokenHistory());
        watch.add('access-token', ...sim.sensitiveValues());
      }
    },
    secret: (): TokenSecret => parseTokenSecret(emulator.secretString(tokenSecretId)),
    close: () => sim.close(),
  };
}

export type RotationWorld = Awaited<ReturnType<typeof rotationWorld>>;
