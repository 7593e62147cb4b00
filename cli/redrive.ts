/**
 * Moves deliveries parked in the fallback queue back onto the bus, losing none: a message is
 * deleted only after its entry was accepted by PutEvents. When the bus refuses an entry even
 * after retries, the redrive stops and reports it; the refused message and the rest of its batch
 * are made visible again at once, for the next redrive. A message that is not a parked delivery is left alone and counted as invalid. A crash between PutEvents and the
 * delete republishes that one delivery on the next redrive: consumers deduplicate on
 * `detail.metadata.deliveryId`.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import type { EventPublisher } from '../lambda/adapters/event-bus';

const parkedDelivery = z.object({
  version: z.literal(1),
  deliveryId: z.string(),
  entry: z.object({ Source: z.string(), DetailType: z.string(), Detail: z.string(), EventBusName: z.string() }),
});

export interface RedriveOptions {
  readonly queueUrl: string;
  /** The bus to publish to (the stack's); a parked entry's own bus name is replaced. */
  readonly eventBusName: string;
  readonly maxMessages?: number;
  readonly dryRun?: boolean;
  /** Seconds a received message stays invisible while it is republished (and after a failure). */
  readonly visibilityTimeoutSeconds?: number;
  readonly publishBudgetMs?: number;
  readonly onProgress?: (progress: RedriveReport) => void;
}

export interface RedriveReport {
  received: number;
  moved: number;
  failed: number;
  invalid: number;
  /** Deliveries still in the queue when the redrive ended (visible or in flight). */
  remaining?: number;
  readonly failures: Array<{ deliveryId?: string; reason: string }>;
}

export async function redrive(sqs: SQSClient, bus: EventPublisher, options: RedriveOptions): Promise<RedriveReport> {
  const report: RedriveReport = { received: 0, moved: 0, failed: 0, invalid: 0, failures: [] };
  const max = options.maxMessages ?? Number.POSITIVE_INFINITY;
  const visibility = options.visibilityTimeoutSeconds ?? 60;
  while (report.received < max) {
    const batch = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max - report.received),
        VisibilityTimeout: options.dryRun ? 0 : visibility,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = batch.Messages ?? [];
    // Makes a message visible again at once, for the next redrive (best effort: it reappears anyway).
    const releaseNow = (receiptHandle: string) =>
      sqs
        .send(new ChangeMessageVisibilityCommand({ QueueUrl: options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }))
        .catch(() => undefined);
    if (messages.length === 0) break;
    const done: Array<{ Id: string; ReceiptHandle: string }> = [];
    let busRefused = false;
    for (const message of messages) {
      if (busRefused) {
        // Not attempted: make it visible again at once for the next redrive.
        await releaseNow(message.ReceiptHandle as string);
        continue;
      }
      report.received++;
      const parked = parse(message.Body);
      if (!parked) {
        report.invalid++;
        report.failures.push({ reason: `message ${message.MessageId} is not a parked delivery; left in the queue` });
        continue;
      }
      if (options.dryRun) {
        report.moved++;
        continue;
      }
      const published = await bus.publish({ ...parked.entry, EventBusName: options.eventBusName }, options.publishBudgetMs ?? 10_000);
      if (published.ok) {
        report.moved++;
        done.push({ Id: String(done.length), ReceiptHandle: message.ReceiptHandle as string });
      } else {
        // The bus refused even after retries: stop here rather than grind through the queue, and
        // make the message visible again at once, so the next redrive (once the bus is back) finds it.
        report.failed++;
        report.failures.push({ deliveryId: parked.deliveryId, reason: published.reason });
        busRefused = true;
        await releaseNow(message.ReceiptHandle as string);
      }
    }
    if (done.length > 0) {
      const deleted = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: done }));
      for (const failure of deleted.Failed ?? []) {
        // Published but not deleted: it will be republished by a later redrive (a duplicate, not a loss).
        report.failures.push({
          reason: `published, but deleting message ${failure.Id} failed (${failure.Code}); it will be redriven again`,
        });
      }
    }
    options.onProgress?.(report);
    if (options.dryRun) break; // A look at one batch; nothing was changed.
    if (busRefused) break;
  }
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  report.remaining =
    Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  return report;
}

function parse(body: string | undefined): z.infer<typeof parkedDelivery> | undefined {
  if (!body) return undefined;
  try {
    const result = parkedDelivery.safeParse(JSON.parse(body));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
