/** `delivery <id>`: one delivery's ledger record. */
import { LEDGER_READ_BUDGET_MS, ledgerOf } from '../aws';
import { EXIT, UsageError, type Command } from '../command';
import { outcomeLabel, publicView } from './deliveries';

export const delivery: Command = {
  name: 'delivery',
  summary: "show one delivery's ledger record (outcome, event id, copies, window end)",
  usage: 'delivery <deliveryId>',
  help: `Shows what the delivery ledger knows of one delivery (the deliveryId the receiver answered, and
every event carries in detail.metadata.deliveryId): when it was received and published, where its
event went (the bus, with its EventBridge event id, or the fallback queue), how it was
authenticated, the SHA-256 of its body, how many copies arrived, and until when a copy is
suppressed. No body, no personal data.

--json: {"ok": true, "found": true, "delivery": {...}} or {"ok": false, "found": false, "deliveryId"}
Exit: 0 found, 1 not in the ledger (never received, received more than dedupWindowHours ago, or
      not made durable: Amani was answered 5xx and retries), or the ledger is unreadable.`,
  options: {},
  validate(_values, args) {
    if (args.length !== 1) throw new UsageError('delivery takes one delivery id (see `deliveries`)');
  },
  async run({ target, args, print }) {
    const deliveryId = args[0] as string;
    const record = await ledgerOf(target).read(deliveryId, LEDGER_READ_BUDGET_MS);
    if (!record) {
      const window = target.dedupWindowHours ? `${target.dedupWindowHours} h` : 'the deduplication window';
      print(
        `${deliveryId} is not in the ledger: never received, received more than ${window} ago, or not made durable (Amani was answered 5xx and retries)`,
        { ok: false, found: false, deliveryId },
      );
      return EXIT.failed;
    }
    const lines: Array<[string, string | undefined]> = [
      ['delivery id', record.deliveryId],
      ['event', record.eventName],
      ['received', record.receivedAt],
      ['outcome', outcomeLabel(record)],
      ['published', record.publishedAt],
      ['EventBridge event id', record.eventId],
      ['authenticated', [record.authMode, record.signatureForm, `${record.tokenGeneration} token`].filter(Boolean).join(', ')],
      ['body SHA-256', record.bodySha256],
      ['copies received', `${record.copies}${record.copies > 1 ? ` (${record.copies - 1} suppressed; last at ${record.lastCopyAt})` : ''}`],
      ['suppresses copies until', new Date(record.expiresAt * 1000).toISOString()],
      ...(record.claimExpiresAt ? ([['in progress until', new Date(record.claimExpiresAt).toISOString()]] as Array<[string, string]>) : []),
    ];
    const width = Math.max(...lines.map(([label]) => label.length));
    print(
      lines
        .filter(([, value]) => value !== undefined)
        .map(([label, value]) => `${label.padEnd(width)}  ${value}`)
        .join('\n'),
      { ok: true, found: true, delivery: publicView(record) },
    );
    return EXIT.ok;
  },
};
