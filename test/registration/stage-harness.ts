/**
 * Stages (stacks) as the product deploys them, without CloudFormation: per stage a token secret
 * and a credentials secret in the local AWS emulator, the real rotator registered there as a
 * Lambda function (built as its entry builds it, with STACK_NAME/STACK_ID), and the real
 * registration handler on real SDK clients (Secrets Manager, Lambda Invoke, SSM claims), all
 * reaching the emulator through AWS_ENDPOINT_URL. Amani is the simulator over HTTP. What a stack
 * deploy, update and delete send to the custom resource is what `deploy`, `update` and
 * `destroy` send here.
 */
import { randomUUID } from 'node:crypto';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { amaniAccountKey, claimName, parseAccountClaim, type AccountClaim } from '../../lambda/core/account-claim';
import type { RetryEnvironment } from '../../lambda/core/retry';
import type { RotationSummary } from '../../lambda/core/rotation';
import { parseTokenSecret, type TokenSecret } from '../../lambda/core/token-secret';
import { buildRegistration } from '../../lambda/registration/build-registration';
import { loadRegistrationConfig, toRegistrationEnvironment } from '../../lambda/registration/env';
import type { ProviderResponse } from '../../lambda/registration/handler';
import type { RegistrationResult } from '../../lambda/registration/register';
import { buildRotator, createRotatorClients } from '../../lambda/rotator/build-rotator';
import { loadRotatorConfig, toRotatorEnvironment } from '../../lambda/rotator/env';
import type { AmaniSimulator } from '../../local/amani-simulator';
import { EMULATOR_REGION, type AwsEmulator } from '../../local/aws-emulator';
import { invokeLocally, localAwsEnvironment } from '../../local/local-stack';
import { registrationEvent } from '../helpers/custom-resource-events';

const FAST_RETRIES: RetryEnvironment = {
  now: () => Date.now(),
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
  random: () => 0.5,
};

export type Credentials = { username: string; password: string } | { userToken: string };

export interface StageOptions {
  readonly credentials?: Credentials;
  /** A later incarnation of a stack name gets a new StackId, as CloudFormation gives it. */
  readonly stackId?: string;
  readonly disableEventsOnDelete?: boolean;
}

/** Points every SDK client created from now on at the emulator (the product's clients included). */
export function useEmulator(aws: AwsEmulator): void {
  Object.assign(process.env, localAwsEnvironment(aws.endpoint, EMULATOR_REGION));
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
}

export function createStage(aws: AwsEmulator, amani: AmaniSimulator, stage: string, options: StageOptions = {}) {
  const stackName = `AmaniWebhooks-${stage}`;
  const stackId = options.stackId ?? `arn:aws:cloudformation:eu-west-1:000000000000:stack/${stackName}/${randomUUID()}`;
  const tokenSecretId = `${stackName}-webhook-token`;
  const credentialsSecretId = `${stackName}-amani-credentials`;
  const rotatorName = `${stackName}-rotator`;
  const webhookUrl = `https://${stage}.execute-api.eu-west-1.amazonaws.com/v1/webhook`;
  // What the stack creates: placeholders that parse to "not bootstrapped" / "no credentials".
  if (aws.secretString(tokenSecretId) === undefined)
    aws.putSecret(tokenSecretId, JSON.stringify({ bootstrapPlaceholder: 'Zx81kP0qLm2Nf7Ty' }));
  const placeholder = JSON.stringify({ bootstrapPlaceholder: 'Qm2Nf7TyZx81kP0q' });
  aws.putSecret(credentialsSecretId, options.credentials ? JSON.stringify(options.credentials) : placeholder);

  const stack = { stackName, stackId };
  const rotator = buildRotator(
    loadRotatorConfig(
      toRotatorEnvironment({
        tokenSecretId,
        credentialsSecretId,
        amaniBaseUrl: amani.url,
        amaniTimeoutMs: 1000,
        storeRetryBudgetMs: 2000,
        stack,
        observability: { metricsNamespace: `AmaniWebhooks/${stage}` },
      }),
    ),
    createRotatorClients(),
    { retryEnvironment: FAST_RETRIES },
  );
  const invokeRotator = (payload: unknown) => invokeLocally(rotator, payload, rotatorName, 120_000);
  aws.registerFunction(rotatorName, invokeRotator);

  const config = loadRegistrationConfig(
    toRegistrationEnvironment({
      amaniBaseUrl: amani.url,
      credentialsSecretId,
      rotatorFunctionName: rotatorName,
      webhookUrl,
      amaniTimeoutMs: 1000,
      disableEventsOnDelete: options.disableEventsOnDelete ?? true,
      stack,
      observability: { metricsNamespace: `AmaniWebhooks/${stage}` },
    }),
  );
  const registration = buildRegistration(
    config,
    {
      // The entry's SDK settings (lambda/registration/build-registration.ts), fewer attempts.
      secretsManager: new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 2 })),
      lambda: new LambdaClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 30_000, maxAttempts: 1 })),
      ssm: new SSMClient(clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 1 })),
    },
    { amani: { baseDelayMs: 1, maxDelayMs: 5, retryBudgetMs: 2000, retryEnvironment: FAST_RETRIES } },
  );
  const invokeRegistration = (event: unknown) => invokeLocally(registration, event, `${stackName}-registration`, 300_000);

  const custom = (requestType: 'Create' | 'Update' | 'Delete', preClaimProperties = false) =>
    invokeRegistration(
      registrationEvent(requestType, { stackId, webhookUrl, requestId: randomUUID() }, { preClaimProperties }),
    ) as Promise<ProviderResponse>;

  return {
    stage,
    stackName,
    stackId,
    webhookUrl,
    tokenSecretId,
    credentialsSecretId,
    /** CloudFormation creating the stack: the custom resource's Create. */
    deploy: () => custom('Create'),
    update: () => custom('Update'),
    /** CloudFormation rolling an Update back to a template from before account claims. */
    rollbackToPreClaimTemplate: () => custom('Update', true),
    /** CloudFormation deleting the stack (or rolling back a failed create). */
    destroy: () => custom('Delete'),
    register: () => invokeRegistration({ action: 'register' }) as Promise<RegistrationResult>,
    rotator: (payload: unknown) => invokeRotator(payload) as Promise<RotationSummary>,
    setCredentials: (credentials: Credentials) => aws.putSecret(credentialsSecretId, JSON.stringify(credentials)),
    /** The operator emptied the credentials secret (back to the stack's placeholder). */
    clearCredentials: () => aws.putSecret(credentialsSecretId, placeholder),
    secret: (): TokenSecret => parseTokenSecret(aws.secretString(tokenSecretId)),
  };
}

export type Stage = ReturnType<typeof createStage>;

/** The claim on an account as stored in SSM (undefined: unclaimed). */
export function claimOf(aws: AwsEmulator, amaniBaseUrl: string, credentials: Credentials): AccountClaim | undefined {
  return parseAccountClaim(aws.parameter(claimName(amaniAccountKey(amaniBaseUrl, credentials))));
}

export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}
