/**
 * `replay`: puts the archived events of a time window back on the bus (EventBridge StartReplay),
 * and follows the replay to its end (DescribeReplay). `--dry-run` counts from the delivery ledger.
 */
import { randomBytes } from 'node:crypto';
import { DescribeReplayCommand, type DescribeReplayCommandOutput, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { LEDGER_READ_BUDGET_MS, eventBridge, ledgerOf } from '../aws';
import { EXIT, UsageError, type Command, type CommandContext, type OptionValues } from '../command';
import type { Target } from '../target';
import { parseTime } from '../time';

/** Events reach an archive a few minutes after they were published (EventBridge's own delay). */
const ARCHIVE_DELAY_MINUTES = 5;

export const replay: Command = {
  name: 'replay',
  summary: 'replay a time window of archived events onto the bus, with progress (--dry-run: count them)',
  usage: 'replay --from T --to T [--rule NAME]... [--event NAME --dry-run] [--name N] [--dry-run]',
  help: `Starts an EventBridge replay of the archive (every event the receiver published, kept
archiveRetentionDays) for the window [--from, --to) onto the bus, and follows it until it ends,
printing its progress. Replayed events are the same events with a "replay-name" field (the replay's
name) and a new EventBridge id: consumers that must not act twice deduplicate on
detail.metadata.deliveryId, and can tell a replay by "replay-name" (docs/event-contract.md).

EventBridge replays a window as a whole: it cannot select events by name or pattern. It can
limit which rules receive the replayed events (--rule): each of those rules then gets the events of
the window that its own pattern matches. So to replay, say, the profile_status_change events to the
consumer that missed them, replay to that consumer's rule.

Options:
  --from <T>, --to <T>  the window: now, a duration back (2h, 1d) or an ISO-8601 time; --to may not be
                        in the future (events reach the archive a few minutes after they were published)
  --rule <name|arn>     replay only to this rule on the bus (repeatable); default: every rule on the bus
  --name <name>         the replay's name (default amani-<time>-<random>; 1 to 64 of letters, digits, . - _)
  --dry-run             start nothing: count the deliveries of the window in the delivery ledger (EventBridge
                        has no API that counts an archive's events), optionally of one --event; the ledger
                        keeps deliveries for dedupWindowHours, the archive for archiveRetentionDays: an
                        older window counts nothing here although the archive may still hold it, and a
                        delivery published while the ledger was down is counted only if it was recorded after
  --event <name>        with --dry-run: count only this event (a replay itself cannot select it: see above)

--json: {"ok", "dryRun": true, "from", "to", "event", "count", "published", "parked", "ledgerCovers"} or
        {"ok", "replayName", "replayArn", "state", "stateReason", "from", "to", "rules", "eventLastReplayedTime", "startedAt", "endedAt"}
Exit: 0 completed (or counted), 1 the replay failed or was cancelled, or EventBridge/the ledger refused, 2 bad options.`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    rule: { type: 'string', multiple: true },
    event: { type: 'string' },
    name: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  validate(values) {
    window(values);
    if (values.event !== undefined && !values['dry-run'])
      throw new UsageError(
        'EventBridge replays every archived event of the window; it cannot select events by name. Replay to the rules that consume that event (--rule NAME, repeatable), or count them with --event NAME --dry-run',
      );
    if (values.name !== undefined && !/^[.\-_A-Za-z0-9]{1,64}$/.test(String(values.name)))
      throw new UsageError('--name must be 1 to 64 letters, digits, . - or _');
  },
  run: (context) => (context.values['dry-run'] ? dryRun(context) : startAndFollow(context)),
};

function window(values: OptionValues): { from: Date; to: Date } {
  if (values.from === undefined || values.to === undefined) throw new UsageError('replay needs --from and --to');
  const now = new Date();
  const from = parseTime(String(values.from), '--from', now);
  const to = parseTime(String(values.to), '--to', now);
  if (from >= to) throw new UsageError('--from must be before --to');
  if (to.getTime() > now.getTime() + 1000) throw new UsageError('--to may not be in the future');
  return { from, to };
}

/** Counts the window's deliveries in the ledger: what the receiver handed on, hence what the archive got. */
async function dryRun({ target, values, print, warn }: CommandContext): Promise<number> {
  const { from, to } = window(values);
  const event = values.event === undefined ? undefined : String(values.event);
  const records = await ledgerOf(target).list(
    { since: from, until: new Date(to.getTime() - 1), limit: Number.POSITIVE_INFINITY, ...(event ? { eventName: event } : {}) },
    LEDGER_READ_BUDGET_MS,
  );
  const published = records.filter((r) => r.outcome === 'published').length;
  const parked = records.filter((r) => r.outcome === 'parked').length;
  const ledgerFrom = target.dedupWindowHours ? new Date(Date.now() - target.dedupWindowHours * 3_600_000) : undefined;
  if (ledgerFrom && from < ledgerFrom)
    warn(
      `the ledger keeps deliveries for ${target.dedupWindowHours} h (since ${ledgerFrom.toISOString()}): deliveries before that are not counted, though the archive may still hold them`,
    );
  print(
    [
      `${published + parked} ${event ?? 'deliveries'} between ${from.toISOString()} and ${to.toISOString()} according to the delivery ledger:`,
      `  ${published} published to the bus (archived, so replayed)`,
      ...(parked > 0 ? [`  ${parked} parked in the fallback queue (archived once redriven)`] : []),
      'EventBridge has no API that counts the events of an archive window; the ledger counts what the receiver handed on.',
      `A replay would put every archived event of the window back on the bus${event ? ' (all events, not only this one: see --help)' : ''}.`,
    ].join('\n'),
    {
      ok: true,
      dryRun: true,
      from: from.toISOString(),
      to: to.toISOString(),
      event: event ?? null,
      count: published + parked,
      published,
      parked,
      ledgerCovers: ledgerFrom?.toISOString() ?? null,
    },
  );
  return EXIT.ok;
}

async function startAndFollow({ target, values, print, progress, warn }: CommandContext): Promise<number> {
  const { from, to } = window(values);
  if (!target.archiveArn || !target.eventBusArn)
    throw new Error(`${target.label} names no archive (ArchiveArn and EventBusArn outputs): deploy this version (npx cdk deploy)`);
  if (target.kind === 'aws' && to.getTime() > Date.now() - ARCHIVE_DELAY_MINUTES * 60_000)
    warn(`events of the last ${ARCHIVE_DELAY_MINUTES} minutes may not be in the archive yet: they would be missing from this replay`);
  const rules = [values.rule ?? []].flat().map((rule) => ruleArn(String(rule), target));
  const name = values.name === undefined ? defaultName(target) : String(values.name);
  // The operator role may start and follow only replays named after the stage's bus.
  if (!name.startsWith(`${target.eventBusName}-`))
    throw new UsageError(`--name must start with "${target.eventBusName}-" (the operator role may only start replays named after the bus)`);
  const client = eventBridge(target);
  const started = await client.send(
    new StartReplayCommand({
      ReplayName: name,
      Description: `npx amani-webhooks replay --from ${from.toISOString()} --to ${to.toISOString()}`,
      EventSourceArn: target.archiveArn,
      EventStartTime: from,
      EventEndTime: to,
      Destination: { Arn: target.eventBusArn, ...(rules.length > 0 ? { FilterArns: rules } : {}) },
    }),
  );
  progress(
    `replay ${name} started (${started.State}): ${from.toISOString()} to ${to.toISOString()}${rules.length > 0 ? `, to ${rules.length} rule(s)` : ', to every rule on the bus'}`,
  );
  progress(
    `Ctrl-C stops following, not the replay (aws events describe-replay --replay-name ${name}; aws events cancel-replay --replay-name ${name})`,
  );
  const pollMs = target.kind === 'local' ? 200 : 5000;
  let described: DescribeReplayCommandOutput;
  let last = '';
  for (;;) {
    described = await client.send(new DescribeReplayCommand({ ReplayName: name }));
    const line = progressLine(described, from, to);
    if (line !== last) progress(line);
    last = line;
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(described.State ?? '')) break;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const ok = described.State === 'COMPLETED';
  print(
    ok
      ? `replay ${name} completed: the archived events of ${from.toISOString()} to ${to.toISOString()} are back on the bus, each with "replay-name": "${name}"`
      : `replay ${name} ended ${described.State}${described.StateReason ? `: ${described.StateReason}` : ''}`,
    {
      ok,
      replayName: name,
      replayArn: started.ReplayArn ?? null,
      state: described.State ?? null,
      stateReason: described.StateReason ?? null,
      from: from.toISOString(),
      to: to.toISOString(),
      rules,
      eventLastReplayedTime: described.EventLastReplayedTime?.toISOString() ?? null,
      startedAt: described.ReplayStartTime?.toISOString() ?? null,
      endedAt: described.ReplayEndTime?.toISOString() ?? null,
    },
  );
  return ok ? EXIT.ok : EXIT.failed;
}

/** "RUNNING: replayed up to <time> (40% of the window)". */
function progressLine(described: DescribeReplayCommandOutput, from: Date, to: Date): string {
  const at = described.EventLastReplayedTime;
  if (!at) return `  ${described.State}`;
  if (described.State === 'COMPLETED') return `  COMPLETED: the last replayed event is from ${at.toISOString()}`;
  const share = Math.min(100, Math.max(0, Math.round(((at.getTime() - from.getTime()) / (to.getTime() - from.getTime())) * 100)));
  return `  ${described.State}: replayed up to ${at.toISOString()} (${share}% of the window)`;
}

/** A rule given by name is a rule on the stack's bus: arn:...:rule/<bus>/<name>. */
function ruleArn(rule: string, target: Target): string {
  if (rule.startsWith('arn:')) return rule;
  const bus = target.eventBusArn as string;
  return `${bus.replace(':event-bus/', ':rule/')}/${rule}`;
}

/** `<bus>-<UTC time>-<4 hex>`: the names the stack's operator role may start (at most 60 characters). */
function defaultName(target: Target): string {
  return `${target.eventBusName}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(2).toString('hex')}`;
}
