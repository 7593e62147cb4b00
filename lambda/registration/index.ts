/**
 * Entry point of the registration Lambda (the bundle exports `handler`): the onEvent handler of
 * the stack's `custom_resources.Provider`, and the operator's `{"action":"register"}` target.
 * Configuration is validated at cold start; a bad one fails the init with a message naming the
 * variable.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { Logger } from '@aws-lambda-powertools/logger';
import { SsmAccountClaimStore } from '../adapters/account-claim-store';
import { clientOptions } from '../adapters/aws-clients';
import { loadRegistrationConfig } from './config';
import { createRegistrationHandler } from './handler';

export const handler = createRegistrationHandler({
  config: loadRegistrationConfig(),
  secretsManager: new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 3 })),
  // The rotator runs for up to 2 minutes; its reserved concurrency of 1 can throttle this call
  // while a scheduled run is in progress, which the SDK's retries (throttling included) absorb.
  lambda: new LambdaClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 150_000, maxAttempts: 6 })),
  claims: new SsmAccountClaimStore(new SSMClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 4 }))),
  logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'amani-webhooks-registration' }),
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
});
