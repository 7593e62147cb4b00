/** `sync`: reconciles the stored token with Amani's (also bootstraps); never rotates. */
import { EXIT, type Command } from '../command';
import { summaryLine, type RotatorSummary } from '../rotation-outcome';

export const sync: Command = {
  name: 'sync',
  summary: "reconcile the stored token with Amani's (also bootstraps); no rotation",
  usage: 'sync',
  help: `Runs the rotator with {"action":"sync"}: reads Amani's current token and stores it when the secret
disagrees (or is not bootstrapped yet). Never asks Amani for a new token. Locally the rotator runs
in this process; for a deployed stack the deployed rotator is invoked.

--json: the rotator's summary, {"ok": true, "action": "sync", "outcome": "in-sync"|"reconciled"|"bootstrapped", ...}
Exit: 0 done, 1 the run failed (the message names the step, endpoint and status).`,
  options: {},
  async run({ target, print, progress }) {
    progress(`sync on ${target.label}...`);
    const summary = (await target.invokeRotator({ action: 'sync' })) as RotatorSummary;
    print(summaryLine(summary), { ok: true, ...summary });
    return EXIT.ok;
  },
};
