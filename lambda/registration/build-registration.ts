/**
 * Builds the registration function from its configuration and SDK clients: the adapters behind
 * its ports (credentials secret, Amani client, account claims in SSM, the rotator's sync through
 * Lambda Invoke), the shared logger and metrics, and the middy handler. Kept apart from
 * `index.ts` so tests build the very same function without reading the process environment.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SsmAccountClaimStore } from '../adapters/account-claim-store';
import { createAmaniClient, type AmaniClientOptions } from '../adapters/amani-client';
import { readAmaniCredentials } from '../adapters/amani-credentials';
import { clientOptions } from '../adapters/aws-clients';
import { createObservability, type Observability } from '../adapters/observability';
import { LambdaRotatorSync } from '../adapters/rotator-function';
import type { RegistrationConfig } from './env';
import { createRegistrationHandler } from './handler';
import { SafeError } from '../core/errors';
import type { CredentialsSource } from '../core/ports';

/** The SDK clients the registration's adapters use. */
export interface RegistrationClients {
  readonly secretsManager: SecretsManagerClient;
  readonly lambda: LambdaClient;
  readonly ssm: SSMClient;
}

/** The clients as deployed: bounded timeouts, SDK retries (the use case runs no retry loop of its own). */
export function createRegistrationClients(): RegistrationClients {
  return {
    secretsManager: new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 3 })),
    // The rotator runs for up to 2 minutes; its reserved concurrency of 1 can throttle this call
    // while a scheduled run is in progress, which the SDK's retries (throttling included) absorb.
    lambda: new LambdaClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 150_000, maxAttempts: 6 })),
    ssm: new SSMClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 4 })),
  };
}

/** What tests may put in place of the defaults. */
export interface RegistrationOptions {
  /** Logger and metrics; by default the shared factory's, from the configuration. */
  readonly observability?: Observability;
  /** Retry pacing and transport of the Amani client (tests shorten the waits). */
  readonly amani?: Pick<AmaniClientOptions, 'baseDelayMs' | 'maxDelayMs' | 'retryBudgetMs' | 'retryEnvironment' | 'fetch'>;
  readonly now?: () => Date;
}

/** The registration function's handler, wired as its entry wires it. */
export function buildRegistration(config: RegistrationConfig, clients: RegistrationClients, options: RegistrationOptions = {}) {
  const { logger, metrics } = options.observability ?? createObservability(config.observability);
  return createRegistrationHandler({
    config,
    credentials: credentialsSecret(clients.secretsManager, config.credentialsSecretId),
    connectAmani: (credentials) =>
      createAmaniClient({ baseUrl: config.amaniBaseUrl, credentials, timeoutMs: config.amaniTimeoutMs, ...options.amani }),
    claims: new SsmAccountClaimStore(clients.ssm),
    rotator: new LambdaRotatorSync(clients.lambda, config.rotatorFunctionName),
    logger,
    metrics,
    now: options.now ?? (() => new Date()),
  });
}

/** The credentials secret; a secret without usable credentials (the stack's placeholder, empty, absent) reads as none. */
function credentialsSecret(client: SecretsManagerClient, secretId: string): CredentialsSource {
  return {
    read: async () => {
      try {
        return await readAmaniCredentials(client, secretId);
      } catch (error) {
        if (SafeError.is(error) && error.name === 'AmaniCredentialsMissingError') return undefined;
        throw error;
      }
    },
  };
}
