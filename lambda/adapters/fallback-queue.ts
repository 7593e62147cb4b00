import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SafeError } from '../core/errors';
import type { FallbackQueue, ParkedDelivery } from '../core/ports';
import { classifyAwsError, describeAwsError } from './aws-clients';

/** SQS refused or did not answer; classified, named by the AWS error's name and status only. */
export class FallbackUnavailableError extends SafeError {
  constructor(cause: unknown) {
    super(`SQS SendMessage to the fallback queue failed: ${describeAwsError(cause)}`, { cause, failure: classifyAwsError(cause) });
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
