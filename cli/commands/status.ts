/** `status`: the token's state and the fallback queue's depth; never prints a token. */
import { createHash } from 'node:crypto';
import { amaniFor, queueDepth, readTokenSecret } from '../aws';
import { EXIT, type Command } from '../command';
import { describeFailure } from '../../local/describe-failure';

export const status: Command = {
  name: 'status',
  summary: 'token state (in sync with Amani, grace, changed elsewhere) and fallback queue depth',
  usage: 'status',
  help: `Shows whether the token secret is bootstrapped, when it was rotated, until when the previous
token is accepted, whether it is in sync with Amani's token (compared by hash; no token is ever
printed), whether Amani's token is neither stored token (changed elsewhere) and when a sync last
found that, and how many deliveries wait in the fallback queue.

--json: {"ok": true, "target", "webhookUrl", "authMode", "bootstrapped", "rotatedAt", "tokenAgeHours",
         "previousTokenValidUntil", "previousTokenInGrace", "inSyncWithAmani" (null: Amani unreachable),
         "changedElsewhere", "tokenChangedElsewhereAt", "amaniError", "fallbackQueueDepth"}
Exit: 0 shown, 1 out of sync with Amani (run sync) or the token secret / queue unreadable.`,
  options: {},
  async run({ target, print }) {
    const secret = await readTokenSecret(target);
    let amaniToken: string | undefined;
    let amaniError: string | undefined;
    try {
      amaniToken = await (await amaniFor(target)).getWebhookToken();
    } catch (error) {
      amaniError = describeFailure(error).message;
    }
    const depth = await queueDepth(target);
    const now = Date.now();
    const graceEnd = secret.previousTokenValidUntil;
    const sameToken = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && sha256(a) === sha256(b);
    const state = {
      ok: true,
      target: target.label,
      webhookUrl: target.webhookUrl,
      authMode: target.authMode,
      bootstrapped: Boolean(secret.token),
      rotatedAt: secret.rotatedAt ?? null,
      tokenAgeHours: secret.rotatedAt ? Math.round(((now - Date.parse(secret.rotatedAt)) / 3_600_000) * 10) / 10 : null,
      previousTokenValidUntil: graceEnd ?? null,
      previousTokenInGrace: Boolean(secret.previousToken && graceEnd && Date.parse(graceEnd) > now),
      // Compared by hash in memory; neither token is printed.
      inSyncWithAmani: amaniToken === undefined ? null : sameToken(amaniToken, secret.token ?? ''),
      // Amani holds a token this stack never stored: another stage on the account, or Amani's dashboard.
      changedElsewhere:
        amaniToken === undefined || !secret.token
          ? null
          : ![secret.token, secret.previousToken].some((stored) => sameToken(stored, amaniToken)),
      tokenChangedElsewhereAt: secret.tokenChangedElsewhereAt ?? null,
      amaniError: amaniError ?? null,
      fallbackQueueDepth: depth,
    };
    print(
      [
        `target            ${state.target}`,
        `webhook URL       ${state.webhookUrl} (${state.authMode} mode)`,
        `token stored      ${state.bootstrapped ? 'yes' : 'no (not bootstrapped: run sync)'}`,
        `rotated at        ${state.rotatedAt ?? '-'}${state.tokenAgeHours !== null ? ` (${state.tokenAgeHours} h ago)` : ''}`,
        `previous token    ${state.previousTokenInGrace ? `accepted until ${graceEnd}` : graceEnd ? `expired at ${graceEnd}` : 'none'}`,
        `in sync w/ Amani  ${state.inSyncWithAmani === null ? `unknown (${amaniError})` : state.inSyncWithAmani ? 'yes' : 'NO - run sync'}`,
        ...(state.changedElsewhere
          ? [
              "                  Amani's token is neither stored token: it was changed elsewhere (another stage on this Amani account, or Amani's dashboard)",
            ]
          : []),
        `changed elsewhere ${state.tokenChangedElsewhereAt ? `last found by a sync at ${state.tokenChangedElsewhereAt} (alarm TokenChangedElsewhere)` : 'never found by a sync'}`,
        `fallback queue    ${depth} deliveries${depth > 0 ? ' - run redrive' : ''}`,
        'registration      Amani documents no read of the webhook registration; re-run register to set it',
      ].join('\n'),
      state,
    );
    return state.inSyncWithAmani === false ? EXIT.failed : EXIT.ok;
  },
};

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
