/**
 * The example's use case: a profile Amani approved becomes an active customer. Idempotent on
 * the delivery id (delivery is at-least-once: Amani retries, the receiver may publish twice, a
 * redrive or an archive replay republishes), with Powertools idempotency and its DynamoDB
 * persistence: a conditional write claims the delivery id before the work, so a duplicate
 * (sequential or concurrent) never does the work twice, and a failed attempt releases its claim
 * so the retry does it.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Logger } from '@aws-lambda-powertools/logger';
import { normalizeProfileStatus, parseAmaniEvent, type AmaniEventOf } from '@amani-webhooks/events';
import type { Context } from 'aws-lambda';

export type ApprovedEvent = AmaniEventOf<'profile_status_change'>;

/** What the team does for an approved profile (here: activate the customer). Must not log `detail.data`: personal data. */
export type Activate = (profileId: string, event: ApprovedEvent) => Promise<void>;

/**
 * How long a delivery id is remembered: longer than Amani's retries, the fallback queue's
 * redrive window and the receiver's own dedup window; an archive replay older than this is
 * processed again, which is what a replay is for.
 */
export const REMEMBER_DELIVERIES_SECONDS = 7 * 24 * 3600;

export interface ApprovedProfilesDependencies {
  readonly persistenceStore: BasePersistenceLayer;
  readonly activate: Activate;
  readonly logger: Logger;
  /** The amani-webhooks stack's eventSource setting. */
  readonly eventSource: string;
}

export type Outcome = { readonly deliveryId: string; readonly outcome: 'activated' | 'ignored'; readonly reason?: string };

/** The Lambda handler for the rule's events: parse, then do the work once per delivery id. */
export function approvedProfilesHandler(deps: ApprovedProfilesDependencies) {
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'detail.metadata.deliveryId',
    expiresAfterSeconds: REMEMBER_DELIVERIES_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  const once = makeIdempotent(
    async (event: ApprovedEvent): Promise<Outcome> => {
      const { deliveryId } = event.detail.metadata;
      const profileId = event.detail.data.profile?.id;
      // The rule selects approvals; a check here keeps a widened rule from activating anyone else.
      if (normalizeProfileStatus(String(event.detail.data.profile?.status)) !== 'APPROVED')
        return { deliveryId, outcome: 'ignored', reason: 'not an approval' };
      if (!profileId) return { deliveryId, outcome: 'ignored', reason: 'no profile id' };
      await deps.activate(profileId, event);
      return { deliveryId, outcome: 'activated' };
    },
    { persistenceStore: deps.persistenceStore, config },
  );

  return async (raw: unknown, context: Context): Promise<Outcome> => {
    config.registerLambdaContext(context);
    // Throws AmaniEventParseError (paths only, no values): Lambda retries, then the DLQ keeps the event.
    const event = parseAmaniEvent(raw, { events: ['profile_status_change'], source: deps.eventSource });
    const outcome = await once(event);
    deps.logger.info('delivery handled', { ...outcome, detailType: event['detail-type'], replayName: event['replay-name'] });
    return outcome;
  };
}
