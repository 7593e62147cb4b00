/**
 * The product's own adapters, built for a target: the same Secrets Manager, SQS and Amani
 * clients the functions use, with timeouts fit for a person waiting at a terminal.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAmaniClient, type AmaniApi } from '../lambda/adapters/amani-client';
import { readAmaniCredentials } from '../lambda/adapters/amani-credentials';
import { clientOptions, type ClientTimeouts } from '../lambda/adapters/aws-clients';
import { DynamoDbDeliveryLedger } from '../lambda/adapters/delivery-ledger';
import { SecretsManagerTokenStore } from '../lambda/adapters/token-secret-store';
import type { TokenSecret } from '../lambda/core/token-secret';
import type { Target } from './target';

const INTERACTIVE: ClientTimeouts = { connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 3 };

export function secretsManager(target: Target): SecretsManagerClient {
  return new SecretsManagerClient({ ...clientOptions(INTERACTIVE), region: target.region });
}

export function sqs(target: Target, requestTimeoutMs = INTERACTIVE.requestTimeoutMs): SQSClient {
  return new SQSClient({ ...clientOptions({ ...INTERACTIVE, requestTimeoutMs }), region: target.region });
}

/** An Amani client logged in with the target's credentials secret. */
export async function amaniFor(target: Target): Promise<AmaniApi> {
  const credentials = await readAmaniCredentials(secretsManager(target), target.credentialsSecretId);
  return createAmaniClient({ baseUrl: target.amaniBaseUrl, credentials });
}

/** The stored webhook token secret (current and previous token, rotation times). */
export function readTokenSecret(target: Target): Promise<TokenSecret> {
  return new SecretsManagerTokenStore(secretsManager(target), target.tokenSecretId).read();
}

/** Deliveries in the fallback queue, visible or in flight. */
export async function queueDepth(target: Target): Promise<number> {
  const answer = await sqs(target).send(
    new GetQueueAttributesCommand({
      QueueUrl: target.fallbackQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

export function eventBridge(target: Target): EventBridgeClient {
  return new EventBridgeClient({ ...clientOptions(INTERACTIVE), region: target.region });
}

/** The per-call budget of the CLI's ledger reads (each call's own SDK retries included). */
export const LEDGER_READ_BUDGET_MS = 15_000;

/** The target's delivery ledger; a stack without one (deployed before it existed) is a failure that says to redeploy. */
export function ledgerOf(target: Target): DynamoDbDeliveryLedger {
  if (!target.ledgerTableName) {
    throw new Error(
      `${target.label} has no delivery ledger (no DeliveryLedgerTableName output): deploy this version (npx cdk deploy) to deduplicate and record deliveries`,
    );
  }
  return new DynamoDbDeliveryLedger(new DynamoDBClient({ ...clientOptions(INTERACTIVE), region: target.region }), target.ledgerTableName);
}
