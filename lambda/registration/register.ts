import type { Logger } from '@aws-lambda-powertools/logger';
import type { AmaniApi, AmaniCredentials, CredentialsSource, RotatorSync } from '../core/ports';
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
import { SafeError, safeMessage } from '../core/errors';
import type { RegistrationConfig } from './env';

/**
 * Registration of the webhook with Amani, run by the CloudFormation custom resource at deploy
 * time (and on demand, `{"action":"register"}`, once credentials exist):
 *
 *   registerWebhook = readCredentials -> claimAccount -> putWebhook -> releaseOtherClaims -> syncTokenSecret
 *
 * 1. no usable credentials yet -> succeed as "not registered" (deploying before the operator has
 *    filled the secret is normal; the message says how to register later);
 * 2. claim the Amani account for this stack (`../core/account-claim.ts`); an account another
 *    stack has claimed is refused, naming that stack, before anything changes at Amani;
 * 3. `PUT /api/v2/webhook` with the API's URL, `signature_enabled` and one boolean per event;
 * 4. release any claim this stack holds on another account (its credentials changed);
 * 5. run the rotator's sync, which bootstraps the token secret from Amani's current token.
 *
 *   unregisterWebhook = disableEventsIfOwner -> releaseAllClaims (stack deletion only)
 *
 * Unregistration disables every event only when this stack owns the account's claim and never
 * fails: a stack must stay deletable while Amani or SSM is unreachable.
 *
 * A failed step throws a `RegistrationError` (the custom resource fails with its message as the
 * CloudFormation reason): it names the step, the endpoint and the status, never a secret.
 */

export interface RegistrationDependencies {
  readonly config: RegistrationConfig;
  readonly credentials: CredentialsSource;
  /** An Amani API client logged in with these credentials. */
  readonly connectAmani: (credentials: AmaniCredentials) => AmaniApi;
  /** The account- and region-wide store of Amani account claims. */
  readonly claims: AccountClaimStore;
  readonly rotator: RotatorSync;
  readonly logger: Logger;
  readonly now: () => Date;
}

/** What a run did; each outcome has its metric (see handler.ts). */
export type RegistrationOutcome = 'registered' | 'not-registered' | 'rollback-skipped' | 'disabled' | 'left-as-is' | 'disable-failed';

export interface RegistrationResult {
  readonly outcome: RegistrationOutcome;
  /** Whether Amani delivers to this stack after the run, as far as this run knows. */
  readonly registered: boolean;
  /** `bootstrapped`, `in-sync`, ... as the rotator's sync reported it; absent when not registered. */
  readonly tokenSync?: string;
  readonly message: string;
}

/** A failed registration step; its message is secret-free by construction and becomes the CloudFormation reason. */
export class RegistrationError extends SafeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistrationError';
  }
}

/** Why unregistering runs: the stack's deletion releases its claims; an operator's `unregister` keeps them. */
export type UnregisterReason = 'stack-deleted' | 'operator';

type ClaimOutcome = 'claimed' | 'already-ours' | 'taken-over';

/**
 * Registers the webhook and bootstraps the token secret. `functionName` (this function's) goes
 * into the "register later" instructions.
 */
export async function registerWebhook(deps: RegistrationDependencies, functionName: string): Promise<RegistrationResult> {
  const credentials = await readCredentials(deps);
  if (!credentials) return notRegistered(deps, functionName);
  const accountKey = amaniAccountKey(deps.config.amaniBaseUrl, credentials);
  const claim = await claimOrRefuse(deps, accountKey);
  await putWebhook(deps, credentials, accountKey, claim);
  const released = await releaseOtherClaims(deps, accountKey);
  const tokenSync = await syncTokenSecret(deps);
  return registered(deps, tokenSync, released);
}

export async function unregisterWebhook(deps: RegistrationDependencies, reason: UnregisterReason): Promise<RegistrationResult> {
  const result = await disableEventsIfOwner(deps);
  if (reason !== 'stack-deleted') return result;
  return { ...result, message: `${result.message}${await releaseAllClaims(deps)}` };
}

// ---------------------------------------------------------------------------------------------
// Steps of registerWebhook
// ---------------------------------------------------------------------------------------------

async function readCredentials(deps: RegistrationDependencies): Promise<AmaniCredentials | undefined> {
  try {
    return await deps.credentials.read();
  } catch (error) {
    throw new RegistrationError(`Reading the Amani API credentials secret failed: ${safeMessage(error)}`, { cause: error });
  }
}

function notRegistered(deps: RegistrationDependencies, functionName: string): RegistrationResult {
  deps.logger.warn('webhook not registered: no Amani API credentials yet', { outcome: 'not-registered' });
  return {
    outcome: 'not-registered',
    registered: false,
    message:
      `Not registered with Amani: the credentials secret (${deps.config.credentialsSecretId}) holds no usable credentials yet. ` +
      `Put {"username":"...","password":"..."} or {"userToken":"..."} into it, then run: ` +
      `aws lambda invoke --function-name ${functionName} --cli-binary-format raw-in-base64-out --payload '{"action":"register"}' /dev/stdout`,
  };
}

/** Takes the account's claim or throws the refusal, naming the owner. */
async function claimOrRefuse(deps: RegistrationDependencies, accountKey: string): Promise<ClaimOutcome> {
  const { config } = deps;
  let result: Awaited<ReturnType<typeof claimAccount>>;
  try {
    result = await claimAccount(deps.claims, accountKey, { ...config.stack, amaniBaseUrl: config.amaniBaseUrl }, deps.now());
  } catch (error) {
    throw new RegistrationError(`Checking the Amani account claim failed: ${safeMessage(error)}. Nothing was changed in Amani.`, {
      cause: error,
    });
  }
  if (result.ok) return result.outcome;
  const name = claimName(accountKey);
  const remedy = result.owner
    ? `Give this stage its own Amani account (another credentials secret), or delete stack ${result.owner.stackName} first: its deletion releases the claim.`
    : `If no stack uses that account any more, remove the claim: aws ssm delete-parameter --name ${name}`;
  deps.logger.warn('Amani account claimed by another stack: not registered', {
    outcome: 'refused',
    owner: result.owner?.stackName ?? 'unreadable',
  });
  throw new RegistrationError(
    `The Amani account at ${config.amaniBaseUrl} (the user of ${config.credentialsSecretId}) is already used by ${describeOwner(result.owner)} (claim ${name}). ` +
      "One Amani account serves one stage: Amani has one webhook and one token per account, so a second stage would re-point the first one's webhook and replace the token its receiver checks. " +
      `${remedy} Nothing was changed in Amani.`,
  );
}

/** `PUT /api/v2/webhook`; a failed first registration gives the claim it just took back. */
async function putWebhook(
  deps: RegistrationDependencies,
  credentials: AmaniCredentials,
  accountKey: string,
  claim: ClaimOutcome,
): Promise<void> {
  const { config } = deps;
  try {
    await deps.connectAmani(credentials).registerWebhook({
      url: config.webhookUrl,
      signatureEnabled: config.signatureEnabled,
      events: eventSwitches(config.enabledEvents),
    });
  } catch (error) {
    // A first registration that failed must not keep the account from the stage that gets it right.
    if (claim === 'claimed') await deps.claims.delete(accountKey).catch(() => undefined);
    throw new RegistrationError(`Registering the webhook with Amani failed: ${safeMessage(error)}. Nothing was changed in AWS.`, {
      cause: error,
    });
  }
  deps.logger.info('webhook registered with Amani', {
    outcome: 'registered',
    claim,
    signatureEnabled: config.signatureEnabled,
    enabledEvents: config.enabledEvents,
  });
}

/** Claims this stack still holds on accounts it no longer uses; a failure only costs a warning. */
async function releaseOtherClaims(deps: RegistrationDependencies, accountKey: string): Promise<string> {
  try {
    const released = await releaseClaims(deps.claims, deps.config.stack, accountKey);
    if (released.length === 0) return '';
    deps.logger.info('released claims on Amani accounts this stack no longer uses', { outcome: 'released', count: released.length });
    return ` Released this stack's claim on ${released.length} other Amani account(s).`;
  } catch (error) {
    const reason = safeMessage(error);
    deps.logger.warn('could not release claims on other Amani accounts', { outcome: 'release-failed', reason });
    return ` Could not check for claims on Amani accounts this stack no longer uses (${reason}).`;
  }
}

async function syncTokenSecret(deps: RegistrationDependencies): Promise<string> {
  let tokenSync: string;
  try {
    tokenSync = await deps.rotator.sync();
  } catch (error) {
    const failedRun = (error as { kind?: unknown }).kind === 'function-error';
    throw new RegistrationError(
      failedRun
        ? `Registered the webhook with Amani, but the rotator's sync failed, so the token secret is not bootstrapped (deliveries get 503 until it is): ${safeMessage(error)}`
        : `Registered the webhook with Amani, but invoking the rotator to bootstrap the token secret failed: ${safeMessage(error)}`,
      { cause: error },
    );
  }
  deps.logger.info('token secret synchronised', { outcome: 'synced', tokenSync });
  return tokenSync;
}

function registered(deps: RegistrationDependencies, tokenSync: string, released: string): RegistrationResult {
  const { config } = deps;
  return {
    outcome: 'registered',
    registered: true,
    tokenSync,
    message:
      `Registered ${config.webhookUrl} with Amani (signature_enabled=${config.signatureEnabled}, ${config.enabledEvents.length} event(s) enabled); ` +
      `the Amani account is claimed by ${config.stack.stackName}; token secret ${tokenSync}.${released}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Steps of unregisterWebhook
// ---------------------------------------------------------------------------------------------

/** Never throws: a deletion must not be blocked by Amani or SSM. */
async function disableEventsIfOwner(deps: RegistrationDependencies): Promise<RegistrationResult> {
  const { config, logger } = deps;
  if (!config.disableEventsOnDelete) {
    logger.info('leaving the Amani webhook as it is (disableEventsOnDelete is off)', { outcome: 'kept' });
    return { outcome: 'left-as-is', registered: true, message: 'The Amani webhook was left as it is (disableEventsOnDelete=false).' };
  }
  try {
    const credentials = await deps.credentials.read();
    if (!credentials) {
      logger.info('no Amani API credentials: nothing to disable', { outcome: 'not-registered' });
      return { outcome: 'left-as-is', registered: false, message: 'No Amani API credentials: nothing was registered, nothing to disable.' };
    }
    const existing = await deps.claims.read(amaniAccountKey(config.amaniBaseUrl, credentials));
    if (!existing || ownershipOf(existing.claim, config.stack) !== 'ours') {
      // Another stage may depend on these events: only the claim's owner may switch them off.
      logger.info('not the owner of the Amani account: webhook left as it is', { outcome: 'not-owner', claimed: existing !== undefined });
      return {
        outcome: 'left-as-is',
        registered: false,
        message: existing
          ? `The Amani webhook was left as it is: the Amani account is claimed by ${describeOwner(existing.claim)}, not by this stack.`
          : "The Amani webhook was left as it is: this stack holds no claim on the Amani account, so it may be another stage's.",
      };
    }
    await deps.connectAmani(credentials).registerWebhook({
      url: config.webhookUrl,
      signatureEnabled: config.signatureEnabled,
      events: eventSwitches([]),
    });
    logger.info('disabled every event of the Amani webhook', { outcome: 'disabled' });
    return { outcome: 'disabled', registered: false, message: 'Disabled every event of the Amani webhook.' };
  } catch (error) {
    const reason = safeMessage(error);
    logger.error('could not disable the Amani webhook events; continuing', { outcome: 'disable-failed', reason });
    return {
      outcome: 'disable-failed',
      registered: true,
      message: `Could not disable the Amani webhook events (${reason}); if this stage owned the Amani account, disable them in Amani by hand.`,
    };
  }
}

async function releaseAllClaims(deps: RegistrationDependencies): Promise<string> {
  try {
    const released = await releaseClaims(deps.claims, deps.config.stack);
    deps.logger.info('released the Amani account claims of this stack', { outcome: 'released', count: released.length });
    return released.length > 0 ? ' Released the Amani account claim.' : '';
  } catch (error) {
    const reason = safeMessage(error);
    deps.logger.error('could not release the Amani account claims of this stack', { outcome: 'release-failed', reason });
    return (
      ` Could not release this stack's Amani account claim (${reason}): delete the parameters under ${ACCOUNT_CLAIM_PATH} whose value names ` +
      `${deps.config.stack.stackName}, or a redeploy of the same stage name takes them over.`
    );
  }
}
