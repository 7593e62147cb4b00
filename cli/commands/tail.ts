/**
 * `tail`: the bus's events as they arrive: on a deployed stage through a temporary rule and queue
 * (cli/tail/rule-queue.ts), in the local mode through its event log (cli/tail/event-log.ts),
 * filtered by the same EventBridge pattern a consumer's rule would use. Personal data stays out
 * of the output unless asked for.
 */
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { DEFAULT_DETAIL_TYPE, SAFE_NAME } from '../../lambda/core/event-contract';
import { amaniEventPattern } from '../../packages/consumer/src/patterns';
import { EXIT, UsageError, type Command, type OptionValues } from '../command';

export const tail: Command = {
  name: 'tail',
  summary: 'show events as they arrive on the bus (--event NAME to filter)',
  usage: 'tail [--event NAME]... [--status S]... [--max N] [--with-data]',
  help: `Shows the events the receiver publishes, as they arrive on the target's bus, until Ctrl-C.
On a deployed stage it creates a temporary SQS queue and a temporary rule on the bus (named
amani-webhooks-tail-<random>, the queue policy allowing only that rule), and deletes both when it
stops (Ctrl-C, --max reached, or an error); needs events:PutRule/PutTargets/RemoveTargets/DeleteRule
and sqs:CreateQueue/GetQueueAttributes/SetQueueAttributes/ReceiveMessage/DeleteMessage/DeleteQueue on
those names. In the local mode it follows the event log (.local/events.jsonl). Only events arriving
after the start are shown.

Options:
  --event <name>      only this event (repeatable, or comma-separated): ${AMANI_EVENTS.join(', ')}, ${DEFAULT_DETAIL_TYPE}
  --status <status>   only profiles in this status, either spelling (APPROVED matches Approved too)
  --max <n>           stop after n events
  --with-data         also print detail.data: Amani's payload, with personal data (names, ID numbers)

--json: one JSON object per line (JSON Lines), per event:
  {"time", "id", "source", "detailType", "replayName"?, "metadata": {...}, "status"?, "data"? (--with-data)}
Exit: 0 stopped (Ctrl-C or --max), 1 failed (what was created is deleted first; anything left is named), 2 bad options.`,
  options: {
    event: { type: 'string', multiple: true },
    status: { type: 'string', multiple: true },
    max: { type: 'string' },
    'with-data': { type: 'boolean' },
  },
  validate(values, args) {
    if (args.length > 0) throw new UsageError(`tail takes no arguments, got: ${args.join(' ')}`);
    for (const name of listOf(values.event))
      if (!SAFE_NAME.test(name)) throw new UsageError(`--event ${JSON.stringify(name)} is not an event name (letters, digits, _ . : -)`);
    if (values.max !== undefined && !(Number.isInteger(Number(values.max)) && Number(values.max) >= 1))
      throw new UsageError('--max must be a positive whole number');
  },
  async run({ target, values, stream, progress, warn }) {
    const events = listOf(values.event);
    const statuses = listOf(values.status);
    const known = new Set<string>([...AMANI_EVENTS, DEFAULT_DETAIL_TYPE]);
    for (const name of events) if (!known.has(name)) warn(`"${name}" is not an event Amani documents; waiting for it anyway`);
    const pattern = amaniEventPattern({
      source: target.eventSource,
      ...(events.length > 0 ? { events } : {}),
      ...(statuses.length > 0 ? { statuses } : {}),
    });
    const max = values.max === undefined ? Number.POSITIVE_INFINITY : Number(values.max);
    const withData = Boolean(values['with-data']);
    const controller = new AbortController();
    const stop = () => {
      if (!controller.signal.aborted) progress('stopping...');
      controller.abort();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let shown = 0;
    try {
      await target.followEvents({
        pattern: pattern as unknown as Record<string, unknown>,
        signal: controller.signal,
        onStatus: progress,
        onEvent: (event) => {
          if (controller.signal.aborted) return;
          const line = describe(event, withData);
          stream(line.human, line.data);
          if (++shown >= max) controller.abort();
        },
      });
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    progress(`${shown} event${shown === 1 ? '' : 's'} shown`);
    return EXIT.ok;
  },
};

function listOf(value: OptionValues[string]): string[] {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** What is shown of an event: the envelope and the receiver's metadata; Amani's payload only with --with-data. */
function describe(event: Record<string, unknown>, withData: boolean): { human: string; data: Record<string, unknown> } {
  const detail = (event.detail ?? {}) as { metadata?: Record<string, unknown>; data?: { profile?: { status?: unknown } } };
  const metadata = detail.metadata ?? {};
  const status = typeof detail.data?.profile?.status === 'string' ? detail.data.profile.status : undefined;
  const replayName = typeof event['replay-name'] === 'string' ? event['replay-name'] : undefined;
  const data: Record<string, unknown> = {
    time: event.time,
    id: event.id,
    source: event.source,
    detailType: event['detail-type'],
    ...(replayName ? { replayName } : {}),
    metadata,
    ...(status !== undefined ? { status } : {}),
    ...(withData ? { data: detail.data } : {}),
  };
  const auth = `${String(metadata.authMode ?? '?')}${metadata.signatureForm ? `/${String(metadata.signatureForm)}` : ''}`;
  const human = [
    `${String(event.time)}  ${String(event['detail-type']).padEnd(24)}  deliveryId=${String(metadata.deliveryId ?? '?').slice(0, 16)}`,
    status !== undefined ? `  status=${status}` : '',
    `  ${auth} token=${String(metadata.tokenGeneration ?? '?')}`,
    metadata.dedup ? `  dedup=${String(metadata.dedup)}` : '',
    replayName ? `  replay=${replayName}` : '',
    withData ? `\n  ${JSON.stringify(detail.data)}` : '',
  ].join('');
  return { human, data };
}
