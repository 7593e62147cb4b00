import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AmaniApiError, createAmaniClient, type AmaniApi, type AmaniCredentials } from '../adapters/amani-client';
import { AmaniCredentialsMissingError, readAmaniCredentials } from '../adapters/amani-credentials';
import { describeAwsError } from '../adapters/aws-clients';
import { eventSwitches } from '../core/amani-events';
import type { RegistrationConfig } from './config';

/**
 * Registration of the webhook with Amani, run by the CloudFormation custom resource at deploy
 * time (and on demand, `{"action":"register"}`, once credentials exist):
 *
 * 1. read the Amani API credentials; none yet -> succeed as "not registered" (deploying before
 *    the operator has filled the secret is normal; docs/deployment.md says how to register later);
 * 2. `PUT /api/v2/webhook` with the API's URL, `signature_enabled` and one boolean per event;
 * 3. invoke the rotator with `{"action":"sync"}` (RequestResponse), which bootstraps the token
 *    secret from Amani's current token.
 *
 * Unregistration (stack deletion) disables every event and never fails: a stack must stay
 * deletable while Amani is unreachable.
 *
 * Every error message names the step, the endpoint and the status, never a secret: Amani client
 * errors and the rotator's errors are secret-free by construction, anything else is named only.
 */
export interface RegistrationDependencies {
  readonly config: RegistrationConfig;
  readonly secretsManager: SecretsManagerClient;
  readonly lambda: LambdaClient;
  readonly logger: Logger;
  /** Amani's HTTP client; Node's fetch by default (tests pass none: they run a local server). */
  readonly connectAmani?: (credentials: AmaniCredentials) => AmaniApi;
  /** This function's name, for the "register later" instructions. */
  readonly functionName?: string;
}

export interface RegistrationResult {
  readonly registered: boolean;
  /** `bootstrapped`, `in-sync`, ... as the rotator's sync reported it; absent when not registered. */
  readonly tokenSync?: string;
  readonly message: string;
}

export class RegistrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistrationError';
  }
}

export async function registerWebhook(deps: RegistrationDependencies): Promise<RegistrationResult> {
  const { config, logger } = deps;
  const credentials = await credentialsOrUndefined(deps);
  if (!credentials) {
    const message = notRegisteredMessage(deps);
    logger.warn('webhook not registered: no Amani API credentials yet', { outcome: 'not-registered' });
    return { registered: false, message };
  }

  const amani = connect(deps, credentials);
  try {
    await amani.registerWebhook({
      url: config.webhookUrl,
      signatureEnabled: config.signatureEnabled,
      events: eventSwitches(config.enabledEvents),
    });
  } catch (error) {
    throw new RegistrationError(`Registering the webhook with Amani failed: ${describe(error)}. Nothing was changed in AWS.`, { cause: error });
  }
  logger.info('webhook registered with Amani', {
    outcome: 'registered',
    signatureEnabled: config.signatureEnabled,
    enabledEvents: config.enabledEvents,
  });

  const tokenSync = await syncTokenSecret(deps);
  logger.info('token secret synchronised', { outcome: 'synced', tokenSync });
  return {
    registered: true,
    tokenSync,
    message: `Registered ${config.webhookUrl} with Amani (signature_enabled=${config.signatureEnabled}, ${config.enabledEvents.length} event(s) enabled); token secret ${tokenSync}.`,
  };
}

export async function unregisterWebhook(deps: RegistrationDependencies): Promise<RegistrationResult> {
  const { config, logger } = deps;
  if (!config.disableEventsOnDelete) {
    logger.info('leaving the Amani webhook as it is (disableEventsOnDelete is off)', { outcome: 'kept' });
    return { registered: true, message: 'The Amani webhook was left as it is (disableEventsOnDelete=false).' };
  }
  try {
    const credentials = await credentialsOrUndefined(deps);
    if (!credentials) {
      logger.info('no Amani API credentials: nothing to disable', { outcome: 'not-registered' });
      return { registered: false, message: 'No Amani API credentials: nothing was registered, nothing to disable.' };
    }
    await connect(deps, credentials).registerWebhook({
      url: config.webhookUrl,
      signatureEnabled: config.signatureEnabled,
      events: eventSwitches([]),
    });
    logger.info('disabled every event of the Amani webhook', { outcome: 'disabled' });
    return { registered: false, message: 'Disabled every event of the Amani webhook.' };
  } catch (error) {
    // Never block a stack deletion on Amani: say what to do by hand instead.
    const reason = describe(error);
    logger.error('could not disable the Amani webhook events; deleting anyway', { outcome: 'disable-failed', reason });
    return {
      registered: true,
      message: `Could not disable the Amani webhook events (${reason}); disable them in Amani by hand.`,
    };
  }
}

async function credentialsOrUndefined(deps: RegistrationDependencies): Promise<AmaniCredentials | undefined> {
  try {
    return await readAmaniCredentials(deps.secretsManager, deps.config.credentialsSecretId);
  } catch (error) {
    if (error instanceof AmaniCredentialsMissingError) return undefined;
    throw new RegistrationError(`Reading the Amani API credentials secret failed: ${describe(error)}`, { cause: error });
  }
}

function connect(deps: RegistrationDependencies, credentials: AmaniCredentials): AmaniApi {
  return deps.connectAmani
    ? deps.connectAmani(credentials)
    : createAmaniClient({ baseUrl: deps.config.amaniBaseUrl, credentials, timeoutMs: deps.config.amaniTimeoutMs });
}

/** Runs the rotator's sync and returns its outcome; its failure becomes a readable error. */
async function syncTokenSecret(deps: RegistrationDependencies): Promise<string> {
  const { config } = deps;
  let answer;
  try {
    answer = await deps.lambda.send(
      new InvokeCommand({
        FunctionName: config.rotatorFunctionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify({ action: 'sync' })),
      }),
    );
  } catch (error) {
    throw new RegistrationError(
      `Registered the webhook with Amani, but invoking the rotator to bootstrap the token secret failed: Lambda Invoke ${describeAwsError(error)}`,
      { cause: error },
    );
  }
  const payload = decodePayload(answer.Payload);
  if (answer.FunctionError) {
    const failure = payload as { errorType?: unknown; errorMessage?: unknown } | undefined;
    const type = typeof failure?.errorType === 'string' ? failure.errorType : answer.FunctionError;
    const message = typeof failure?.errorMessage === 'string' ? truncate(failure.errorMessage, 600) : 'no error message';
    throw new RegistrationError(
      `Registered the webhook with Amani, but the rotator's sync failed, so the token secret is not bootstrapped (deliveries get 503 until it is): ${type}: ${message}`,
    );
  }
  const outcome = (payload as { outcome?: unknown } | undefined)?.outcome;
  return typeof outcome === 'string' ? outcome : 'synced';
}

function decodePayload(payload: Uint8Array | undefined): unknown {
  if (!payload || payload.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(payload)) as unknown;
  } catch {
    return undefined;
  }
}

function notRegisteredMessage(deps: RegistrationDependencies): string {
  const fn = deps.functionName ?? '<RegistrationFunctionName output>';
  return (
    `Not registered with Amani: the credentials secret (${deps.config.credentialsSecretId}) holds no usable credentials yet. ` +
    `Put {"username":"...","password":"..."} or {"userToken":"..."} into it, then run: ` +
    `aws lambda invoke --function-name ${fn} --cli-binary-format raw-in-base64-out --payload '{"action":"register"}' /dev/stdout`
  );
}

/** Our own error types carry secret-free messages; anything else is reduced to its name. */
function describe(error: unknown): string {
  if (error instanceof AmaniApiError) return error.message;
  if (error instanceof Error && ['SecretUnavailableError', 'AmaniCredentialsMissingError', 'RegistrationError'].includes(error.name)) {
    return error.message;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
