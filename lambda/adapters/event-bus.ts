import { PutEventsCommand, type EventBridgeClient, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { BusEntry } from '../core/delivery-event';
import type { EventPublisher, PublishResult } from '../core/ports';
import { retryWithinBudget, realRetryEnvironment, type AttemptOutcome, type BackoffPolicy, type RetryEnvironment } from '../core/retry';
import { classifyAwsError, describeAwsError, sendWithin, withCallDeadlines } from './aws-clients';

/** The port this publisher implements, for its callers. */
export type { EventPublisher } from '../core/ports';

/**
 * Per-entry error codes EventBridge documents as transient. Anything else (malformed detail,
 * access denied, ...) will not heal by retrying and goes straight to the fallback queue.
 */
const RETRYABLE_ENTRY_ERRORS = new Set(['ThrottlingException', 'InternalFailure', 'InternalException', 'ServiceUnavailable']);

export interface EventBridgePublisherOptions extends BackoffPolicy {
  readonly maxAttempts: number;
  /** Upper bound for one PutEvents call, inside the overall budget. */
  readonly attemptTimeoutMs: number;
  readonly onRetry?: (attempt: number, reason: string) => void;
}

/**
 * PutEvents with its own retry loop (the client is built with maxAttempts 1) so that whole-call
 * failures and partial failures (`FailedEntryCount` > 0, an entry's `ErrorCode`) share one
 * jittered backoff and one time budget.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;

  constructor(
    client: EventBridgeClient,
    private readonly options: EventBridgePublisherOptions,
    private readonly env: RetryEnvironment = realRetryEnvironment,
  ) {
    this.client = withCallDeadlines(client);
  }

  async publish(entry: BusEntry, budgetMs: number): Promise<PublishResult> {
    const result = await retryWithinBudget<string>(
      {
        ...this.options,
        budgetMs,
        attempt: (_, remainingMs) => this.attempt(entry, Math.min(remainingMs, this.options.attemptTimeoutMs)),
        onRetry: (attempt, error) => this.options.onRetry?.(attempt, String(error)),
      },
      this.env,
    );
    return result.ok
      ? { ok: true, eventId: result.value, attempts: result.attempts }
      : { ok: false, reason: `${String(result.error)} (${result.exhausted})`, attempts: result.attempts };
  }

  private async attempt(entry: BusEntry, timeoutMs: number): Promise<AttemptOutcome<string>> {
    if (timeoutMs <= 0) return { done: false, retryable: false, error: 'no time left' };
    let answer: PutEventsCommandOutput;
    try {
      answer = await sendWithin(new PutEventsCommand({ Entries: [entry] }), timeoutMs, (command) => this.client.send(command));
    } catch (error) {
      const failure = classifyAwsError(error);
      return { done: false, retryable: failure === 'throttled' || failure === 'transient', error: describeAwsError(error) };
    }
    const result = answer.Entries?.[0];
    if (!answer.FailedEntryCount && result?.EventId && !result.ErrorCode) return { done: true, value: result.EventId };
    const code = result?.ErrorCode ?? (answer.FailedEntryCount ? 'UnknownEntryError' : 'MissingEventId');
    // An answer without an entry result is odd but transient as far as we can tell.
    const retryable = RETRYABLE_ENTRY_ERRORS.has(code) || code === 'UnknownEntryError' || code === 'MissingEventId';
    return { done: false, retryable, error: code };
  }
}
