import type { SQSClient } from '@aws-sdk/client-sqs';
import { SafeError } from '../core/errors';
import type { FallbackQueue, ParkedDelivery } from '../core/ports';
import { classifyAwsError, describeAwsError, sendWithin, withCallDeadlines } from './aws-clients';

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
  private client: SQSClient | undefined;

  /** The client is made on first use (`lazyClient`): parking is the rare path. */
  constructor(
    private readonly makeClient: () => Promise<SQSClient>,
    private readonly queueUrl: string,
  ) {}

  async park(delivery: ParkedDelivery, budgetMs: number): Promise<void> {
    try {
      // Loaded with the client: the SQS module is not part of a cold start.
      const { SendMessageCommand } = await import('@aws-sdk/client-sqs');
      this.client ??= withCallDeadlines(await this.makeClient());
      const client = this.client;
      await sendWithin(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: encodeParkedDelivery(delivery),
          MessageAttributes: {
            deliveryId: { DataType: 'String', StringValue: delivery.deliveryId },
            detailType: { DataType: 'String', StringValue: delivery.entry.DetailType },
          },
        }),
        budgetMs,
        (command) => client.send(command),
      );
    } catch (error) {
      throw new FallbackUnavailableError(error);
    }
  }
}
