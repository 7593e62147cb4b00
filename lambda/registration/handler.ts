import type { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ACCOUNT_CLAIM_PROPERTY } from '../core/account-claim';
import { registerWebhook, unregisterWebhook, type RegistrationDependencies, type RegistrationResult } from './register';

/**
 * The registration function's entry logic. Two kinds of invocation:
 * - the CloudFormation custom resource, through `custom_resources.Provider` (its onEvent
 *   contract: return `{PhysicalResourceId, Data}`, throw to fail with the message as the
 *   CloudFormation reason);
 * - `{"action":"register"}` by an operator once the credentials secret is filled (and
 *   `{"action":"unregister"}` to disable every event by hand, when this stack owns the Amani
 *   account; the claim is kept, the stack still uses the account).
 */

/**
 * One Amani account has one webhook, so the resource's identity never changes: a new id would make
 * CloudFormation delete the "old" registration, i.e. disable the events of the one just updated.
 */
export const PHYSICAL_RESOURCE_ID = 'amani-webhook-registration';

export interface ProviderResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Registered: 'true' | 'false'; readonly Message: string; readonly TokenSync: string };
}

export type ManualAction = { readonly action: 'register' } | { readonly action: 'unregister' };

export function createRegistrationHandler(deps: RegistrationDependencies) {
  return async (event: CloudFormationCustomResourceEvent | ManualAction): Promise<ProviderResponse | RegistrationResult> => {
    if (isManual(event)) {
      deps.logger.info('manual invocation', { action: event.action });
      return event.action === 'register' ? registerWebhook(deps) : unregisterWebhook(deps, 'operator');
    }
    if (!event || typeof event !== 'object' || !('RequestType' in event)) {
      throw new Error('Unsupported invocation: expected a CloudFormation custom resource event, {"action":"register"} or {"action":"unregister"}');
    }
    logWithRequest(deps.logger, event);
    if (event.RequestType === 'Update' && !Object.hasOwn(event.ResourceProperties ?? {}, ACCOUNT_CLAIM_PROPERTY)) {
      // Properties without the claim path come from a template older than account claims: this is
      // CloudFormation rolling back the upgrade that introduced them (typically because another
      // stage owns the account). Failing here too would leave the stack in UPDATE_ROLLBACK_FAILED.
      deps.logger.warn('rollback to a configuration from before account claims: Amani left as it is', { outcome: 'rollback-skipped' });
      return {
        PhysicalResourceId: PHYSICAL_RESOURCE_ID,
        Data: { Registered: 'false', TokenSync: 'none', Message: 'Rolled back to a configuration from before Amani account claims: nothing was changed at Amani.' },
      };
    }
    const result = event.RequestType === 'Delete' ? await unregisterWebhook(deps, 'stack-deleted') : await registerWebhook(deps);
    return {
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: result.registered ? 'true' : 'false', Message: result.message, TokenSync: result.tokenSync ?? 'none' },
    };
  };
}

function isManual(event: unknown): event is ManualAction {
  if (!event || typeof event !== 'object' || !('action' in event)) return false;
  const action = (event as { action: unknown }).action;
  if (action === 'register' || action === 'unregister') return true;
  throw new Error(`Unknown action ${JSON.stringify(action)}: expected "register" or "unregister"`);
}

function logWithRequest(logger: Logger, event: CloudFormationCustomResourceEvent): void {
  // Request type and ids only: ResourceProperties repeat the configuration, never a secret, but
  // there is no need to log them.
  logger.info('custom resource event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, stackId: event.StackId });
}
