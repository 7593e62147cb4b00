/** `redrive`: moves deliveries parked in the fallback queue back onto the bus (cli/redrive.ts). */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { EventBridgePublisher } from '../../lambda/adapters/event-bus';
import { sqs } from '../aws';
import { EXIT, UsageError, type Command } from '../command';
import { redrive as redriveQueue } from '../redrive';

export const redrive: Command = {
  name: 'redrive',
  summary: 'move deliveries from the fallback queue back onto the bus',
  usage: 'redrive [--max N] [--dry-run]',
  help: `Moves deliveries parked in the fallback queue (the bus refused them; Amani was answered 202) back
onto the bus. A message is deleted only after the bus accepted its event; when the bus still
refuses, the redrive stops and the rest stays in the queue.

Options:
  --max <n>     move at most n deliveries
  --dry-run     look at one batch without moving anything

--json: {"ok", "dryRun", "received", "moved", "failed", "invalid", "remaining", "failures": [{"deliveryId", "reason"}]}
Exit: 0 all moved, 1 failed, 4 partly done (the bus refused, or a message is not a parked delivery).`,
  options: {
    max: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
  validate(values) {
    if (values.max === undefined) return;
    const max = Number(values.max);
    if (!Number.isInteger(max) || max < 1) throw new UsageError('--max must be a positive whole number');
  },
  async run({ target, values, print, progress }) {
    const max = values.max === undefined ? undefined : Number(values.max);
    const dryRun = Boolean(values['dry-run']);
    const bus = new EventBridgePublisher(
      new EventBridgeClient({
        ...clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 1 }),
        region: target.region,
      }),
      { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2000, attemptTimeoutMs: 5000 },
    );
    const report = await redriveQueue(sqs(target, 10_000), bus, {
      queueUrl: target.fallbackQueueUrl,
      eventBusName: target.eventBusName,
      ...(max !== undefined ? { maxMessages: max } : {}),
      dryRun,
      onProgress: (r) => progress(`  received ${r.received}, moved ${r.moved}, failed ${r.failed}, invalid ${r.invalid}`),
    });
    print(
      [
        `${dryRun ? 'would move' : 'moved'} ${report.moved}, failed ${report.failed}, invalid ${report.invalid}, left in the queue ${report.remaining}`,
        ...report.failures.map((f) => `  ${f.deliveryId ?? '-'}: ${f.reason}`),
      ].join('\n'),
      { ok: report.failed === 0 && report.invalid === 0, dryRun, ...report },
    );
    return report.failed > 0 || report.invalid > 0 ? EXIT.partial : EXIT.ok;
  },
};
