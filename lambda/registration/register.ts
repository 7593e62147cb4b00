import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { AmaniApiError, createAmaniClient, type AmaniApi, type AmaniCredentials } from '../adapters/amani-client';
import { AmaniCredentialsMissingError, readAmaniCredentials } from '../adapters/amani-credentials';
import { describeAwsError } from '../adapters/aws-clients';
import {
  ACCOUNT_CLAIM_PATH,
  amaniAccountKey,
  claimAccount,
  claimName,
  describeOwner,
  ownershipOf,
  releaseClaims,
  type AccountClaimStore,
} from '../core/account-claim';
import { eventSwitches } from '../core/amani-events';
import type { RegistrationConfig } from './config';

/**
 * Registration of the webhook with Amani, run by the CloudFormation custom resource at deploy
 * time (and on demand, `{"action":"register"}`, once credentials exist):
 *
 * 1. read the Amani API credentials; none yet -> succeed as "not registered" (deploying before
 *    the operator has filled the secret is normal; docs/deployment.md says how to register later);
 * 2. claim the Amani account for this stack (`../core/account-claim.ts`); an account another
 *    stack has claimed is refused, naming that stack, before anything changes at Amani;
 * 3. `PUT /api/v2/webhook` with the API's URL, `signature_enabled` and one boolean per event;
 *    then release any claim this stack holds on another account (its credentials changed);
 * 4. invoke the rotator with `{"action":"sync"}` (RequestResponse), which bootstraps the token
 *    secret from Amani's current token.
 *
 * Unregistration (stack deletion) disables every event only when this stack owns the account's
 * claim, releases this stack's claims, and never fails: a stack must stay deletable while Amani
 * or SSM is unreachable.
 *
 * Every error message names the step, the endpoint and the status, never a secret: Amani client
 * errors and the rotator's errors are secret-free by construction, anything else is named only.
 */
export interface RegistrationDependencies {
  readonly config: RegistrationConfig;
  readonly secretsManager: SecretsManagerClient;
  readonly lambda: LambdaClient;
  /** The account- and region-wide store of Amani account claims. */
  readonly claims: AccountClaimStore;
  readonly logger: Logger;
  /** Amani's HTTP client; Node's fetch by default (tests pass none: they run a local server). */
  readonly connectAmani?: (credentials: AmaniCredentials) => AmaniApi;
  /** This function's name, for the "register later" instructions. */
  readonly functionName?: string;
  readonly now?: () => Date;
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

/** Why unregistering runs: the stack's deletion releases its claims; an operator's `unregister` keeps them. */
export type UnregisterReason = 'stack-deleted' | 'operator';

export async function registerWebhook(deps: RegistrationDependencies): Promise<RegistrationResult> {
  const { config, logger } = deps;
  const credentials = await credentialsOrUndefined(deps);
  if (!credentials) {
    const message = notRegisteredMessage(deps);
    logger.warn('webhook not registered: no Amani API credentials yet', { outcome: 'not-registered' });
    return { registered: false, message };
  }

  const accountKey = amaniAccountKey(config.amaniBaseUrl, credentials);
  const claimed = await claimOrRefuse(deps, accountKey);

  const amani = connect(deps, credentials);
  try {
    await amani.registerWebhook({
      url: config.webhookUrl,
      signatureEnabled: config.signatureEnabled,
      events: eventSwitches(config.enabledEvents),
    });
  } catch (error) {
    // A first registration that failed must not keep the account from the stage that gets it right.
    if (claimed === 'claimed') await deps.claims.delete(accountKey).catch(() => undefined);
    throw new RegistrationError(`Registering the webhook with Amani failed: ${describe(error)}. Nothing was changed in AWS.`, { cause: error });
  }
  logger.info('webhook registered with Amani', {
    outcome: 'registered',
    claim: claimed,
    signatureEnabled: config.signatureEnabled,
    enabledEvents: config.enabledEvents,
  });
  const released = await releaseOtherAccounts(deps, accountKey);

  const tokenSync = await syncTokenSecret(deps);
  logger.info('token secret synchronised', { outcome: 'synced', tokenSync });
  return {
    registered: true,
    tokenSync,
    message:
      `Registered ${config.webhookUrl} with Amani (signature_enabled=${config.signatureEnabled}, ${config.enabledEvents.length} event(s) enabled); ` +
      `the Amani account is claimed by ${config.stack.stackName}; token secret ${tokenSync}.${released}`,
  };
}

export async function unregisterWebhook(deps: RegistrationDependencies, reason: UnregisterReason = 'operator'): Promise<RegistrationResult> {
  const result = await disableEventsIfOwner(deps);
  if (reason !== 'stack-deleted') return result;
  return { ...result, message: `${result.message}${await releaseAllClaims(deps)}` };
}

/** Never throws: a deletion must not be blocked by Amani or SSM. */
async function disableEventsIfOwner(deps: RegistrationDependencies): Promise<RegistrationResult> {
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
    const existing = await deps.claims.read(amaniAccountKey(config.amaniBaseUrl, credentials));
    if (!existing || ownershipOf(existing.claim, config.stack) !== 'ours') {
      // Another stage may depend on these events: only the claim's owner may switch them off.
      logger.info('not the owner of the Amani account: webhook left as it is', { outcome: 'not-owner', claimed: existing !== undefined });
      return {
        registered: false,
        message: existing
          ? `The Amani webhook was left as it is: the Amani account is claimed by ${describeOwner(existing.claim)}, not by this stack.`
          : 'The Amani webhook was left as it is: this stack holds no claim on the Amani account, so it may be another stage\'s.',
      };
    }
    await connect(deps, credentials).registerWebhook({
      url: config.webhookUrl,
      signatureEnabled: config.signatureEnabled,
      events: eventSwitches([]),
    });
    logger.info('disabled every event of the Amani webhook', { outcome: 'disabled' });
    return { registered: false, message: 'Disabled every event of the Amani webhook.' };
  } catch (error) {
    const reason = describe(error);
    logger.error('could not disable the Amani webhook events; continuing', { outcome: 'disable-failed', reason });
    return {
      registered: true,
      message: `Could not disable the Amani webhook events (${reason}); if this stage owned the Amani account, disable them in Amani by hand.`,
    };
  }
}

/** Takes the account's claim or throws the refusal, naming the owner. */
async function claimOrRefuse(deps: RegistrationDependencies, accountKey: string): Promise<'claimed' | 'already-ours' | 'taken-over'> {
  const { config } = deps;
  let result;
  try {
    result = await claimAccount(deps.claims, accountKey, { ...config.stack, amaniBaseUrl: config.amaniBaseUrl }, (deps.now ?? (() => new Date()))());
  } catch (error) {
    throw new RegistrationError(`Checking the Amani account claim failed: ${describe(error)}. Nothing was changed in Amani.`, { cause: error });
  }
  if (result.ok) return result.outcome;
  const name = claimName(accountKey);
  const remedy = result.owner
    ? `Give this stage its own Amani account (another credentials secret), or delete stack ${result.owner.stackName} first: its deletion releases the claim.`
    : `If no stack uses that account any more, remove the claim: aws ssm delete-parameter --name ${name}`;
  deps.logger.warn('Amani account claimed by another stack: not registered', { outcome: 'refused', owner: result.owner?.stackName ?? 'unreadable' });
  throw new RegistrationError(
    `The Amani account at ${config.amaniBaseUrl} (the user of ${config.credentialsSecretId}) is already used by ${describeOwner(result.owner)} (claim ${name}). ` +
      'One Amani account serves one stage: Amani has one webhook and one token per account, so a second stage would re-point the first one\'s webhook and replace the token its receiver checks. ' +
      `${remedy} Nothing was changed in Amani.`,
  );
}

/** Claims this stack still holds on accounts it no longer uses; a failure only costs a warning. */
async function releaseOtherAccounts(deps: RegistrationDependencies, accountKey: string): Promise<string> {
  try {
    const released = await releaseClaims(deps.claims, deps.config.stack, accountKey);
    if (released.length === 0) return '';
    deps.logger.info('released claims on Amani accounts this stack no longer uses', { outcome: 'released', count: released.length });
    return ` Released this stack's claim on ${released.length} other Amani account(s).`;
  } catch (error) {
    const reason = describe(error);
    deps.logger.warn('could not release claims on other Amani accounts', { outcome: 'release-failed', reason });
    return ` Could not check for claims on Amani accounts this stack no longer uses (${reason}).`;
  }
}

async function releaseAllClaims(deps: RegistrationDependencies): Promise<string> {
  try {
    const released = await releaseClaims(deps.claims, deps.config.stack);
    deps.logger.info('released the Amani account claims of this stack', { outcome: 'released', count: released.length });
    return released.length > 0 ? ' Released the Amani account claim.' : '';
  } catch (error) {
    const reason = describe(error);
    deps.logger.error('could not release the Amani account claims of this stack', { outcome: 'release-failed', reason });
    return (
      ` Could not release this stack's Amani account claim (${reason}): delete the parameters under ${ACCOUNT_CLAIM_PATH} whose value names ` +
      `${deps.config.stack.stackName}, or a redeploy of the same stage name takes them over.`
    );
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
  if (error instanceof Error && ['SecretUnavailableError', 'AmaniCredentialsMissingError', 'RegistrationError', 'ClaimStoreUnavailableError'].includes(error.name)) {
    return error.message;
  }
  return error instanceof Error ? error.name : 'unknown error';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
