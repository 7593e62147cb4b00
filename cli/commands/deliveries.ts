/** `deliveries`: the delivery ledger, newest first (what arrived, what became of it, how many copies). */
import { LEDGER_FILTERS, type LedgerFilter, type LedgerRecord } from '../../lambda/core/delivery-ledger';
import { LEDGER_READ_BUDGET_MS, ledgerOf } from '../aws';
import { EXIT, UsageError, type Command } from '../command';
import { parseTime } from '../time';

const DEFAULT_LIMIT = 100;

export const deliveries: Command = {
  name: 'deliveries',
  summary: 'list recent deliveries from the ledger, newest first (outcome, copies, event id)',
  usage: 'deliveries [--since 1h] [--until T] [--event NAME] [--outcome X] [--limit N]',
  help: `Lists the deliveries the receiver recorded in the delivery ledger, newest first: when each was
received, its event name, what became of it (published to the bus, parked in the fallback queue,
in progress), how many copies arrived (copies after the first were suppressed), the EventBridge
event id and the delivery id. The ledger keeps a delivery for the deduplication window
(dedupWindowHours, 7 days by default) and holds no body and no personal data.

Options:
  --since <T>      from (default 1h): now, a duration back (30m, 1h, 7d) or an ISO-8601 time
  --until <T>      to (default now)
  --event <name>   only this event (e.g. profile_status_change)
  --outcome <x>    only ${LEDGER_FILTERS.join(', ')}
                   (duplicate: copies were suppressed; dedup-unchecked: published while the ledger was unavailable)
  --limit <n>      at most n (default ${DEFAULT_LIMIT})

--json: {"ok": true, "since", "until", "deliveries": [{"deliveryId", "eventName", "receivedAt", "outcome", "publishedAt",
         "eventId", "authMode", "signatureForm", "tokenGeneration", "bodySha256", "copies", "lastCopyAt", "dedup", "expiresAt"}]}
Exit: 0 listed (also when none), 1 the ledger is unreadable or the target has none.`,
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    event: { type: 'string' },
    outcome: { type: 'string' },
    limit: { type: 'string' },
  },
  validate(values) {
    window(values.since, values.until);
    if (values.outcome !== undefined && !(LEDGER_FILTERS as readonly string[]).includes(String(values.outcome)))
      throw new UsageError(`--outcome must be one of ${LEDGER_FILTERS.join(', ')}`);
    if (values.limit !== undefined && !(Number.isInteger(Number(values.limit)) && Number(values.limit) >= 1))
      throw new UsageError('--limit must be a positive whole number');
  },
  async run({ target, values, print }) {
    const { since, until } = window(values.since, values.until);
    const records = await ledgerOf(target).list(
      {
        since,
        until,
        limit: values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit),
        ...(values.event ? { eventName: String(values.event) } : {}),
        ...(values.outcome ? { filter: values.outcome as LedgerFilter } : {}),
      },
      LEDGER_READ_BUDGET_MS,
    );
    const shown = records.map(publicView);
    const human =
      records.length === 0 ? `no deliveries received between ${since.toISOString()} and ${until.toISOString()}` : table(records);
    print(human, { ok: true, since: since.toISOString(), until: until.toISOString(), deliveries: shown });
    return EXIT.ok;
  },
};

function window(sinceText: unknown, untilText: unknown): { since: Date; until: Date } {
  const now = new Date();
  const since = parseTime(sinceText === undefined ? '1h' : String(sinceText), '--since', now);
  const until = untilText === undefined ? now : parseTime(String(untilText), '--until', now);
  if (since > until) throw new UsageError('--since must be before --until');
  return { since, until };
}

/** A record as the CLI shows it: the claim token is the receiver's business. */
export function publicView(record: LedgerRecord): Omit<LedgerRecord, 'claimId'> {
  const { claimId: _claim, ...shown } = record;
  return shown;
}

/** What became of a delivery, in a word or two. */
export function outcomeLabel(record: LedgerRecord): string {
  return record.dedup === 'unchecked' ? `${record.outcome} (dedup unchecked)` : record.outcome;
}

function table(records: readonly LedgerRecord[]): string {
  const header = ['RECEIVED (UTC)', 'EVENT', 'OUTCOME', 'COPIES', 'DELIVERY ID', 'EVENTBRIDGE EVENT ID'];
  const rows = [
    header,
    ...records.map((r) => [r.receivedAt, r.eventName, outcomeLabel(r), String(r.copies), r.deliveryId, r.eventId ?? '-']),
  ];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
