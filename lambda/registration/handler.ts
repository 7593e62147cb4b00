import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { ACCOUNT_CLAIM_PROPERTY } from '../core/account-claim';
import { safeMessage } from '../core/errors';
import {
  registerWebhook,
  unregisterWebhook,
  type RegistrationDependencies,
  type RegistrationOutcome,
  type RegistrationResult,
} from './register';

/**
 * One Amani account has one webhook, so the resource's identity never changes: a new id would make
 * CloudFormation delete the "old" registration, i.e. disable the events of the one just updated.
 */
export const PHYSICAL_RESOURCE_ID = 'amani-webhook-registration';

/** The answer to the CDK provider framework: CloudFormation reads `Data` as the resource's attributes. */
export interface ProviderResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Registered: 'true' | 'false'; readonly Message: string; readonly TokenSync: string };
}

/** An operator's direct invocation. */
export type ManualAction = { readonly action: 'register' } | { readonly action: 'unregister' };

/** Everything the function may be invoked with. */
export type RegistrationInvocation = CloudFormationCustomResourceEvent | ManualAction;

/** One count per run, named by what the run did (namespace and `service` dimension from the environment). */
export const OUTCOME_METRICS: Readonly<Record<RegistrationOutcome, string>> = {
  registered: 'WebhookRegistered',
  'not-registered': 'WebhookNotRegistered',
  'rollback-skipped': 'WebhookNotRegistered',
  disabled: 'WebhookEventsDisabled',
  'left-as-is': 'WebhookLeftAsIs',
  'disable-failed': 'WebhookDisableFailed',
};
/** Counted when a run throws (the custom resource fails with the error's message). */
export const FAILURE_METRIC = 'RegistrationFailed';

/** The use case's ports plus the metrics the handler emits. */
export interface RegistrationHandlerDependencies extends RegistrationDependencies {
  readonly metrics: Metrics;
}

/**
 * The registration function's handler. Two kinds of invocation:
 * - the CloudFormation custom resource, through `custom_resources.Provider` (its onEvent
 *   contract: return `{PhysicalResourceId, Data}`, throw to fail with the message as the
 *   CloudFormation reason);
 * - `{"action":"register"}` by an operator once the credentials secret is filled (and
 *   `{"action":"unregister"}` to disable every event by hand, when this stack owns the Amani
 *   account; the claim is kept, the stack still uses the account).
 *
 * Context in every log line (never the event), one metric per run, flushed on failure too.
 */
export function createRegistrationHandler(deps: RegistrationHandlerDependencies) {
  const { logger, metrics } = deps;
  return middy<RegistrationInvocation, ProviderResponse | RegistrationResult, Error, Context>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      try {
        const { outcome, answer } = await run(event, deps, context.functionName);
        metrics.addMetric(OUTCOME_METRICS[outcome], MetricUnit.Count, 1);
        return answer;
      } catch (error) {
        metrics.addMetric(FAILURE_METRIC, MetricUnit.Count, 1);
        logger.error('registration run failed', { outcome: 'failed', reason: safeMessage(error) });
        throw error;
      }
    });
}

/** What a run did, and the answer: the Provider's for a custom resource event, the result itself for an operator. */
interface Run {
  readonly outcome: RegistrationOutcome;
  readonly answer: ProviderResponse | RegistrationResult;
}

async function run(event: RegistrationInvocation, deps: RegistrationDependencies, functionName: string): Promise<Run> {
  if (isManual(event)) {
    deps.logger.info('manual invocation', { action: event.action });
    const result = event.action === 'register' ? await registerWebhook(deps, functionName) : await unregisterWebhook(deps, 'operator');
    return { outcome: result.outcome, answer: result };
  }
  if (!event || typeof event !== 'object' || !('RequestType' in event)) {
    throw new Error(
      'Unsupported invocation: expected a CloudFormation custom resource event, {"action":"register"} or {"action":"unregister"}',
    );
  }
  // Request type and ids only: ResourceProperties repeat the configuration, never a secret, but
  // there is no need to log them.
  deps.logger.info('custom resource event', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    stackId: event.StackId,
  });
  if (event.RequestType === 'Update' && !Object.hasOwn(event.ResourceProperties ?? {}, ACCOUNT_CLAIM_PROPERTY)) {
    // Properties without the claim path come from a template older than account claims: this is
    // CloudFormation rolling back the upgrade that introduced them (typically because another
    // stage owns the account). Failing here too would leave the stack in UPDATE_ROLLBACK_FAILED.
    deps.logger.warn('rollback to a configuration from before account claims: Amani left as it is', { outcome: 'rollback-skipped' });
    return providerResult({
      outcome: 'rollback-skipped',
      registered: false,
      message: 'Rolled back to a configuration from before Amani account claims: nothing was changed at Amani.',
    });
  }
  const result =
    event.RequestType === 'Delete' ? await unregisterWebhook(deps, 'stack-deleted') : await registerWebhook(deps, functionName);
  return providerResult(result);
}

function providerResult(result: RegistrationResult): Run {
  return {
    outcome: result.outcome,
    answer: {
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { Registered: result.registered ? 'true' : 'false', Message: result.message, TokenSync: result.tokenSync ?? 'none' },
    },
  };
}

function isManual(event: unknown): event is ManualAction {
  if (!event || typeof event !== 'object' || !('action' in event)) return false;
  const action = (event as { action: unknown }).action;
  if (action === 'register' || action === 'unregister') return true;
  throw new Error(`Unknown action ${JSON.stringify(action)}: expected "register" or "unregister"`);
}
