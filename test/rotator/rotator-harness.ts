import { randomUUID } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { RetryEnvironment } from '../../lambda/core/retry';
import type { RotationSummary } from '../../lambda/core/rotation';
import { parseTokenSecret, type TokenSecret } from '../../lambda/core/token-secret';
import { buildRotator } from '../../lambda/rotator/build-rotator';
import type { RotatorConfig } from '../../lambda/rotator/env';
import { startAmaniSimulator, type AmaniSimulatorOptions } from '../../local/amani-simulator';
import { captureOutput } from '../helpers/capture-output';
import { fakeLambdaContext } from '../helpers/lambda-context';
import { fakeSecretsManager } from './fake-secrets-manager';
import { EffectLog } from './world';

export const TOKEN_SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-webhook-token-AbCdEf';
export const CREDENTIALS_SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-api-credentials-GhIjKl';
export const USER = { username: 'rotator@example.com', password: 'rotator-password-sentinel' };
export const INITIAL_TOKEN = 'initial-webhook-token-0123456789';
export const HOUR_MS = 3_600_000;

export const daysAgo = (days: number) => new Date(Date.now() - days * 24 * HOUR_MS).toISOString();

/** The secret of a rotator that last rotated 40 days ago and agrees with Amani. */
export const IN_SYNC: TokenSecret = { token: INITIAL_TOKEN, rotatedAt: daysAgo(40) };

export interface RotatorHarnessOptions {
  /** The token secret's initial value; `null`: the secret exists without any value (fresh deploy). */
  readonly secret?: TokenSecret | null;
  /** The credentials secret's SecretString. */
  readonly credentials?: string;
  readonly config?: Partial<RotatorConfig>;
  readonly simulator?: AmaniSimulatorOptions;
  /** The SSM client the rotator reads account claims with (with `config.stack` set). */
  readonly ssm?: SSMClient;
}

/**
 * The real rotator (config, middy handler, use case, core, Amani client over real HTTP, token
 * store on a real SDK client) against the Amani simulator and a stateful fake Secrets Manager,
 * with fast retries and stdout captured.
 */
export async function rotatorHarness(options: RotatorHarnessOptions = {}) {
  const sim = await startAmaniSimulator({ users: [USER], initialToken: INITIAL_TOKEN, ...options.simulator });
  const world = new EffectLog();
  const client = new SecretsManagerClient({ region: 'eu-west-1', maxAttempts: 1 });
  const initialSecret = options.secret === undefined ? IN_SYNC : options.secret;
  const secrets = fakeSecretsManager(
    client,
    {
      [TOKEN_SECRET_ID]: initialSecret === null ? undefined : JSON.stringify(initialSecret),
      [CREDENTIALS_SECRET_ID]: options.credentials ?? JSON.stringify(USER),
    },
    world,
  );
  const config: RotatorConfig = {
    tokenSecretId: TOKEN_SECRET_ID,
    credentialsSecretId: CREDENTIALS_SECRET_ID,
    amaniBaseUrl: sim.url,
    previousTokenGraceMs: HOUR_MS,
    minRotationAgeMs: HOUR_MS,
    amaniTimeoutMs: 400,
    storeRetryBudgetMs: 5000,
    observability: { serviceName: 'rotator-test', metricsNamespace: 'AmaniWebhooksTest', logLevel: 'DEBUG' },
    ...options.config,
  };
  const sleeps: number[] = [];
  const retryEnvironment: RetryEnvironment = {
    now: () => Date.now(),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  };
  const idempotencyKeys: string[] = [];
  const output = captureOutput();
  const handler = buildRotator(
    config,
    { secretsManager: client, ...(options.ssm ? { ssm: options.ssm } : {}) },
    {
      fetch: world.fetch,
      retryEnvironment,
      newIdempotencyKey: () => {
        const key = randomUUID();
        idempotencyKeys.push(key);
        return key;
      },
    },
  );
  const errors: Error[] = [];

  return {
    sim,
    secrets,
    world,
    output,
    config,
    sleeps,
    idempotencyKeys,
    errors,
    invoke: (payload: unknown = {}, remainingMs = 60_000) =>
      handler(payload, fakeLambdaContext(remainingMs, 'rotator')) as Promise<RotationSummary>,
    /** Invokes and returns the thrown error (kept for the leak check); fails if the run succeeded. */
    async invokeFailing(payload: unknown = {}, remainingMs = 60_000): Promise<Error> {
      try {
        await handler(payload, fakeLambdaContext(remainingMs, 'rotator'));
      } catch (error) {
        errors.push(error as Error);
        return error as Error;
      }
      throw new Error('expected the run to fail');
    },
    secret: (): TokenSecret => parseTokenSecret(secrets.current(TOKEN_SECRET_ID)),
    /** Token-secret writes (attempts included). */
    tokenWrites: () => secrets.puts.filter((put) => put.secretId === TOKEN_SECRET_ID),
    logs: (message: string) => output.logs().filter((line) => line.message === message),
    /** Everything that must never be printed or thrown. */
    sensitiveValues: () => [...sim.sensitiveValues(), USER.password],
    async dispose() {
      output.restore();
      secrets.restore();
      await sim.close();
    },
  };
}

export type RotatorHarness = Awaited<ReturnType<typeof rotatorHarness>>;

/** Fails when any secret appears in the captured output or in a thrown error. */
export function assertNothingLeaked(h: RotatorHarness, extra: readonly string[] = []): void {
  const secrets = [...h.sensitiveValues(), ...extra].filter((value) => value.length >= 6);
  const texts = [
    h.output.text(),
    ...h.errors.map((error) => `${error.name} ${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`),
  ];
  for (const text of texts) {
    for (const secret of secrets) {
      if (text.includes(secret)) throw new Error(`a secret value leaked into output or an error (${secret.length} chars)`);
    }
  }
}
