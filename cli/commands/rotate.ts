/**
 * `rotate`: asks Amani for a new token now. A failed rotation may have left Amani ahead of the
 * secret, so it runs a sync and says what state the token is in (cli/rotation-outcome.ts).
 */
import { EXIT, type Command, type CommandContext } from '../command';
import { describeFailure } from '../../local/describe-failure';
import { describeFailedRotation, summaryLine, type RotatorSummary, type SyncAfterFailure } from '../rotation-outcome';

export const rotate: Command = {
  name: 'rotate',
  summary: 'rotate the webhook token now; a failed rotation says what state the token is in',
  usage: 'rotate [--force] [--revoke-previous]',
  help: `Rotates the webhook token now (PATCH /api/v2/webhook/token) and stores the new one; the previous
token stays accepted for the grace period. Locally the rotator runs in this process; for a deployed
stack the deployed rotator is invoked.

Options:
  --force            rotate even if the last rotation is recent
  --revoke-previous  emergency (leaked token): keep no previous token. Every receiver refuses the
                     old one within its secret cache lifetime (secretCacheTtlSeconds; printed).

A failed rotation runs a sync and prints the token state: UNCHANGED (Amani still has the stored
token), ROTATED (Amani rotated before the failure; the sync stored the new token) or UNKNOWN
(the sync failed too).

--json: success: the rotator's summary, {"ok": true, "outcome": "rotated"|"skipped", "rotatedAt", ...}
        (+ "oldTokenRefusedWithinSeconds" with --revoke-previous);
        failure: {"ok": false, "error": {...}, "tokenState": "unchanged"|"rotated"|"unknown", "sync": {...}}
Exit: 0 rotated (or skipped), 1 failed.`,
  options: {
    force: { type: 'boolean' },
    'revoke-previous': { type: 'boolean' },
  },
  async run(context) {
    const { target, values, print, progress } = context;
    const revokePrevious = Boolean(values['revoke-previous']);
    const payload = revokePrevious ? { action: 'rotate', revokePrevious: true } : { action: 'rotate', force: Boolean(values.force) };
    progress(`rotate on ${target.label}...`);
    let summary: RotatorSummary;
    try {
      summary = (await target.invokeRotator(payload)) as RotatorSummary;
    } catch (error) {
      return reportFailedRotation(context, revokePrevious, error);
    }
    if (!revokePrevious) {
      print(summaryLine(summary), { ok: true, ...summary });
      return EXIT.ok;
    }
    // What an emergency revocation really guarantees: warm receivers trust their cached secret for its TTL.
    const seconds = target.secretCacheTtlSeconds;
    print(
      `${summaryLine(summary)}\nthe old token is no longer stored; every receiver refuses it within ${seconds} s (its secret cache lifetime, secretCacheTtlSeconds), until then a warm receiver may still accept it`,
      { ok: true, ...summary, oldTokenRefusedWithinSeconds: seconds },
    );
    return EXIT.ok;
  },
};

async function reportFailedRotation({ target, print, progress }: CommandContext, revokePrevious: boolean, error: unknown): Promise<number> {
  const failure = describeFailure(error);
  progress(`rotate failed: ${failure.message}`);
  progress('running sync to find out what state the token is in...');
  let sync: SyncAfterFailure;
  try {
    sync = { ok: true, summary: (await target.invokeRotator({ action: 'sync' })) as SyncAfterFailure['summary'] };
  } catch (syncError) {
    sync = { ok: false, error: describeFailure(syncError).message };
  }
  const report = describeFailedRotation({ revokePrevious }, sync);
  const name = (error as { name?: unknown } | undefined)?.name;
  print(report.lines.join('\n'), {
    ok: false,
    error: { name: typeof name === 'string' ? name : 'Error', message: failure.message },
    tokenState: report.tokenState,
    sync,
  });
  return EXIT.failed;
}
