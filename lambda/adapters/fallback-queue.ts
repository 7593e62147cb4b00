import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BusEntry } from '../core/delivery-event';
import { describeAwsError } from './aws-clients';

/**
 * What the fallback queue holds: the exact entry that could not be published, so a redrive puts
 * the same event on the bus later (`npx amani-webhooks redrive`), plus why it was parked.
 */
export interface ParkedDelivery {
  readonly version: 1;
  readonly deliveryId: string;
  readonly reason: string;
  readonly parkedAt: string;
  readonly entry: BusEntry;
}

/** Port: the durable place of last resort for an authentic delivery the bus refused. */
export interface FallbackQueue {
  /** Resolves once the delivery is durably stored; rejects otherwise. */
  park(delivery: ParkedDelivery, budgetMs: number): Promise<void>;
}

export class FallbackUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`SQS SendMessage to the fallback queue failed: ${describeAwsError(cause)}`, { cause });
    this.name = 'FallbackUnavailableError';
  }
}

/** Characters SQS refuses in a message body; they can only occur inside JSON strings here. */
const SQS_FORBIDDEN = /[\ufffe\uffff]/;

export function encodeParkedDelivery(delivery: ParkedDelivery): string {
  const json = JSON.stringify(delivery);
  return SQS_FORBIDDEN.test(json) ? json.replace(/[\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`) : json;
}

export class SqsFallbackQueue implements FallbackQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async park(delivery: ParkedDelivery, budgetMs: number): Promise<void> {
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: encodeParkedDelivery(delivery),
          MessageAttributes: {
            deliveryId: { DataType: 'String', StringValue: delivery.deliveryId },
            detailType: { DataType: 'String', StringValue: delivery.entry.DetailType },
          },
        }),
        { abortSignal: AbortSignal.timeout(Math.max(1, budgetMs)) },
      );
    } catch (error) {
      throw new FallbackUnavailableError(error);
    }
  }
}
