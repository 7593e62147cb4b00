/** `register`: registers the webhook with Amani (`PUT /api/v2/webhook`). */
import { AMANI_EVENTS, eventSwitches } from '../../lambda/core/amani-events';
import { amaniFor } from '../aws';
import { EXIT, UsageError, type Command, type OptionValues } from '../command';

export const register: Command = {
  name: 'register',
  summary: 'register the webhook with Amani (PUT /api/v2/webhook)',
  usage: 'register [--url U] [--events a,b|all] [--auth-mode signature|token]',
  help: `Registers the webhook with Amani (PUT /api/v2/webhook): the URL, signature_enabled and one
switch per event (Amani turns off every event not named).

Options:
  --url <url>                 where Amani delivers (default: the target's receiver); https, or http
                              on a loopback address
  --events <a,b,...|all>      events to enable (default all); see \`events\`
  --auth-mode signature|token what Amani is told to send (default: the receiver's mode). A mode other
                              than the receiver's is registered, with a warning: every delivery will
                              then be refused (401) until the two agree.

--json: {"ok": true, "url", "authMode", "events": {"<event>": true|false, ...}, "warnings": [...]}
Exit: 0 registered, 1 Amani or the credentials secret failed, 2 bad arguments.`,
  options: {
    url: { type: 'string' },
    events: { type: 'string' },
    'auth-mode': { type: 'string' },
  },
  validate(values) {
    if (values.url !== undefined) checkWebhookUrl(String(values.url));
    const mode = values['auth-mode'];
    if (mode !== undefined && mode !== 'signature' && mode !== 'token') throw new UsageError('--auth-mode must be signature or token');
    wantedEvents(values);
  },
  async run({ target, values, print, warn }) {
    const url = values.url === undefined ? target.webhookUrl : String(values.url);
    const authMode = values['auth-mode'] === undefined ? target.authMode : (values['auth-mode'] as 'signature' | 'token');
    if (authMode !== target.authMode) {
      warn(
        `the receiver (${target.label}) checks ${target.authMode} mode, but Amani is told ${authMode} mode: every delivery will be refused (401) until both agree ` +
          `(register again without --auth-mode, or change the receiver's authMode)`,
      );
    }
    const switches = eventSwitches(wantedEvents(values));
    await (await amaniFor(target)).registerWebhook({ url, signatureEnabled: authMode === 'signature', events: switches });
    const enabled = Object.entries(switches)
      .filter(([, on]) => on)
      .map(([event]) => event);
    print(`Registered ${url} with Amani (${authMode} mode), events: ${enabled.join(', ')}`, { ok: true, url, authMode, events: switches });
    return EXIT.ok;
  },
};

function wantedEvents(values: OptionValues): string[] {
  const raw = values.events;
  if (raw === undefined || raw === 'all') return [...AMANI_EVENTS];
  const wanted = String(raw)
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (wanted.length === 0) throw new UsageError(`--events needs at least one event, or all. Known: ${AMANI_EVENTS.join(', ')}`);
  const unknown = wanted.filter((event) => !(AMANI_EVENTS as readonly string[]).includes(event));
  if (unknown.length > 0) throw new UsageError(`Unknown event(s): ${unknown.join(', ')}. Known: ${AMANI_EVENTS.join(', ')}`);
  return wanted;
}

/** Amani must be able to reach it: an absolute https URL, or http on this machine (the local mode). */
function checkWebhookUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url "${text}" is not an absolute URL (e.g. https://abc.execute-api.eu-west-1.amazonaws.com/v1/webhook)`);
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return;
  throw new UsageError(`--url must be https (http only on a loopback address), got ${url.protocol}//${url.host}`);
}
