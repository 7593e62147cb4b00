/**
 * Follows a deployed bus the way a consumer would: a temporary SQS queue, a temporary rule on the
 * bus with the pattern, the queue policy that lets EventBridge deliver from that rule (and nothing
 * else), then long polling. Whatever happens (Ctrl-C, an AWS error, a crash of the loop), the rule,
 * its target and the queue are deleted before returning; what could not be deleted is named.
 */
import { randomBytes } from 'node:crypto';
import { DeleteRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import type { FollowOptions } from './follow';

/** Names of what `tail` creates; an IAM policy for operators can be scoped to it. */
export const TAIL_RESOURCE_PREFIX = 'amani-webhooks-tail-';
/** Long polls of 20 s; a poll that comes back empty sooner (never, on SQS) waits this long before the next. */
const LONG_POLL_SECONDS = 20;
const MIN_POLL_INTERVAL_MS = 1000;

export interface RuleQueueOptions extends FollowOptions {
  readonly eventBusName: string;
  readonly region: string;
  readonly clients?: { readonly events: EventBridgeClient; readonly sqs: SQSClient };
}

export async function followThroughRuleAndQueue(options: RuleQueueOptions): Promise<void> {
  const timeouts = clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: (LONG_POLL_SECONDS + 5) * 1000, maxAttempts: 3 });
  const events = options.clients?.events ?? new EventBridgeClient({ ...timeouts, region: options.region });
  const sqs = options.clients?.sqs ?? new SQSClient({ ...timeouts, region: options.region });
  const name = `${TAIL_RESOURCE_PREFIX}${randomBytes(4).toString('hex')}`;
  const bus = options.eventBusName;
  const created: { queueUrl?: string; rule?: boolean; target?: boolean } = {};
  let failure: unknown;
  try {
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        // Nothing here outlives a forgotten tail for long; SSE with SQS-owned keys, which EventBridge can write to.
        Attributes: { MessageRetentionPeriod: '900', SqsManagedSseEnabled: 'true' },
      }),
    );
    created.queueUrl = queue.QueueUrl;
    const queueUrl = queue.QueueUrl as string;
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = attributes.Attributes?.QueueArn as string;
    const rule = await events.send(
      new PutRuleCommand({
        Name: name,
        EventBusName: bus,
        EventPattern: JSON.stringify(options.pattern),
        State: 'ENABLED',
        Description: 'npx amani-webhooks tail: temporary, deleted when the tail stops',
      }),
    );
    created.rule = true;
    await sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: queuePolicy(queueArn, rule.RuleArn as string) } }),
    );
    const targets = await events.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'tail', Arn: queueArn }] }));
    created.target = true;
    if (targets.FailedEntryCount)
      throw new Error(`EventBridge refused the queue as the rule's target: ${targets.FailedEntries?.[0]?.ErrorMessage ?? ''}`);
    options.onStatus(
      `following ${bus} through the temporary rule and queue ${name} (a new rule takes effect within seconds); Ctrl-C stops and deletes both`,
    );
    await poll(sqs, queueUrl, options);
  } catch (error) {
    failure = error;
  }
  const left = await cleanUp(events, sqs, name, bus, created, options);
  if (left.length > 0) {
    const message = `could not delete ${left.join(' and ')}: delete by hand (aws events remove-targets / delete-rule --event-bus-name ${bus} --name ${name}; aws sqs delete-queue)`;
    throw new Error(failure ? `${(failure as Error).message ?? String(failure)}; and ${message}` : message);
  }
  if (failure) throw failure;
}

async function poll(sqs: SQSClient, queueUrl: string, options: FollowOptions): Promise<void> {
  while (!options.signal.aborted) {
    const started = Date.now();
    let messages: { Body?: string; ReceiptHandle?: string }[];
    try {
      const answer = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: LONG_POLL_SECONDS }),
        { abortSignal: options.signal },
      );
      messages = answer.Messages ?? [];
    } catch (error) {
      if (options.signal.aborted) return;
      throw error;
    }
    for (const message of messages) {
      try {
        options.onEvent(JSON.parse(message.Body ?? '') as Record<string, unknown>);
      } catch {
        options.onStatus('skipped a message that is not an EventBridge event');
      }
    }
    if (messages.length > 0)
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
        }),
      );
    else if (Date.now() - started < MIN_POLL_INTERVAL_MS) await sleep(MIN_POLL_INTERVAL_MS, options.signal);
  }
}

/** Deletes, in order, what was created; returns what is left. Never uses the (aborted) signal. */
async function cleanUp(
  events: EventBridgeClient,
  sqs: SQSClient,
  name: string,
  bus: string,
  created: { queueUrl?: string; rule?: boolean; target?: boolean },
  options: FollowOptions,
): Promise<string[]> {
  const left: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (error) {
      left.push(`${what} (${(error as Error).name ?? 'Error'}: ${(error as Error).message ?? ''})`);
    }
  };
  if (created.rule) {
    // A target is removed even when PutTargets' answer was lost: removing a missing target is harmless.
    await attempt(`the rule ${name}`, async () => {
      await events.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: ['tail'] }));
      await events.send(new DeleteRuleCommand({ Name: name, EventBusName: bus }));
    });
  }
  if (created.queueUrl)
    await attempt(`the queue ${created.queueUrl}`, () => sqs.send(new DeleteQueueCommand({ QueueUrl: created.queueUrl })));
  if (created.rule || created.queueUrl)
    options.onStatus(left.length === 0 ? `deleted the temporary rule and queue ${name}` : `left behind: ${left.join(', ')}`);
  return left;
}

/** EventBridge may send to the queue, only from the tail's own rule. */
export function queuePolicy(queueArn: string, ruleArn: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TailRuleOnly',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
      },
    ],
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
