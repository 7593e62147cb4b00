/** The Lambda entry: the use case wired to DynamoDB and a logger. */
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { approvedProfilesHandler } from './approved-profiles';

const logger = new Logger({ serviceName: 'approved-profiles' });
const tableName = process.env.IDEMPOTENCY_TABLE;
if (!tableName) throw new Error('IDEMPOTENCY_TABLE is not set');

export const handler = approvedProfilesHandler({
  persistenceStore: new DynamoDBPersistenceLayer({ tableName }),
  eventSource: process.env.AMANI_EVENT_SOURCE ?? 'amani',
  logger,
  // The team's own work goes here; the profile id is Amani's, not personal data in itself.
  activate: async (profileId, event) => {
    logger.info('customer activated', { profileId, deliveryId: event.detail.metadata.deliveryId });
  },
});
