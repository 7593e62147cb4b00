/**
 * `send`: plays Amani: a sample delivery signed (or, in token mode, carrying the token) the way
 * Amani does, with Amani's current token or the stored previous one, POSTed to the receiver.
 */
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { prepareDelivery, samplePayload, sendDelivery, type WireFormat } from '../../local/amani-sender';
import { amaniFor, readTokenSecret } from '../aws';
import { EXIT, UsageError, type Command, type OptionValues } from '../command';
import type { Target } from '../target';

export const send: Command = {
  name: 'send',
  summary: 'send a sample delivery as Amani would (--tamper: watch a 401)',
  usage: 'send <event> [--url U] [--tamper] [--previous-token] [--wire python|compact] [--repeat N]',
  help: `Sends a sample delivery for <event> (see \`events\`) as Amani would: in signature mode signed
with HMAC-SHA256 over Python's json.dumps of the payload; in token mode with the token itself in
the token header (token mode authenticates the sender only: nothing covers the body).

Options:
  --url <url>         where to send (default: the target's receiver)
  --tamper            signature mode only: change the body after signing; the receiver must answer 401
  --previous-token    use the token from before the last rotation (from the token secret) instead of
                      Amani's current one: accepted (tokenGeneration "previous") until its grace ends,
                      401 once every receiver re-read the secret (within its cache lifetime,
                      secretCacheTtlSeconds). Watch a grace window: npm start -- --grace 0.5, rotate,
                      send now and again a minute later.
  --wire python|compact
                      python (default): the bytes Amani's signer hashes; compact: JSON.stringify bytes,
                      so only the receiver's canonical json.dumps form matches

--json: {"ok": <answered as expected>, "status", "body", "expected": "2xx"|"401"|"2xx or 401", "tokenGeneration": "current"|"previous"}
Exit: 0 answered as expected (2xx; 401 with --tamper, or with --previous-token after its grace;
      either just after the grace ended, while a receiver may still hold the secret cached),
      1 anything else, 2 unknown event or bad options.`,
  options: {
    url: { type: 'string' },
    tamper: { type: 'boolean' },
    'previous-token': { type: 'boolean' },
    wire: { type: 'string' },
    repeat: { type: 'string' },
  },
  validate(values, args) {
    const [event, ...extra] = args;
    if (!event) throw new UsageError(`send needs an event name, one of: ${AMANI_EVENTS.join(', ')}`);
    if (!(AMANI_EVENTS as readonly string[]).includes(event))
      throw new UsageError(`Unknown event "${event}". Known: ${AMANI_EVENTS.join(', ')}`);
    if (extra.length > 0) throw new UsageError(`send takes one event, got also: ${extra.join(' ')}`);
    if (values.wire !== undefined && values.wire !== 'python' && values.wire !== 'compact')
      throw new UsageError('--wire must be python or compact');
    if (
      values.repeat !== undefined &&
      !(Number.isInteger(Number(values.repeat)) && Number(values.repeat) >= 1 && Number(values.repeat) <= 100)
    )
      throw new UsageError('--repeat must be a whole number from 1 to 100');
  },
  async run({ target, values, args, print, progress }) {
    const event = args[0] as string;
    const tamper = Boolean(values.tamper);
    if (tamper && target.authMode === 'token') {
      throw new UsageError(
        `--tamper needs signature mode; ${target.label} is in token mode, where Amani sends the token itself in ${target.tokenHeader} and nothing covers the body: ` +
          'a body changed in transit is accepted (only TLS protects it). Use signature mode (authMode signature) for body integrity.',
      );
    }
    const wire = (values.wire ?? 'python') as WireFormat;
    const url = values.url === undefined ? target.webhookUrl : String(values.url);
    const signing = await signingToken(target, values);
    const delivery = prepareDelivery({
      payload: samplePayload(event),
      token: signing.token,
      authMode: target.authMode,
      wire,
      signatureHeader: target.signatureHeader,
      tokenHeader: target.tokenHeader,
      tamper,
    });
    const how =
      target.authMode === 'signature'
        ? `signed with ${signing.which}, ${wire} wire`
        : `token mode: ${signing.which} in ${target.tokenHeader}, body not signed`;
    progress(`POST ${url} (${event}, ${delivery.body.length} bytes, ${how}${tamper ? ', body changed after signing' : ''})`);
    const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
    const answers = [];
    for (let copy = 1; copy <= repeat; copy++) {
      if (copy > 1) progress(`POST ${url} again: copy ${copy} of ${repeat}, the same bytes and signature`);
      answers.push(await sendDelivery(url, delivery));
    }
    const answer = answers[0] as (typeof answers)[number];
    const expected = tamper || signing.refused === 'surely' ? '401' : signing.refused === 'maybe' ? '2xx or 401' : '2xx';
    const isExpected = (status: number) => {
      const accepted = status >= 200 && status < 300;
      return expected === '2xx' ? accepted : expected === '401' ? status === 401 : accepted || status === 401;
    };
    const asExpected = answers.every((a) => isExpected(a.status));
    const suppressed = answers.filter((a) => (parseJson(a.body) as { duplicate?: unknown })?.duplicate === true).length;
    const lines = answers.flatMap((a, index) => [
      `${repeat > 1 ? `copy ${index + 1}: ` : ''}${a.status} ${a.body}`,
      ...explain(a.status, signing, target),
      ...((parseJson(a.body) as { duplicate?: unknown })?.duplicate === true
        ? ['  a copy of a delivery the receiver already handed on: answered like the first, nothing new on the bus']
        : index > 0 && a.status >= 200 && a.status < 300
          ? [
              '  published again: the receiver did not recognise it as a copy (it keeps no delivery ledger, or the ledger was unavailable and the event is marked dedup "unchecked")',
            ]
          : []),
    ]);
    print(lines.join('\n'), {
      ok: asExpected,
      status: answer.status,
      body: parseJson(answer.body),
      expected,
      tokenGeneration: signing.generation,
      ...(repeat > 1 ? { answers: answers.map((a) => ({ status: a.status, body: parseJson(a.body) })), suppressed } : {}),
    });
    return asExpected ? EXIT.ok : EXIT.failed;
  },
};

interface SigningToken {
  readonly token: string;
  readonly generation: 'current' | 'previous';
  /** For people: "Amani's current token", "the previous token". */
  readonly which: string;
  /** The previous token's grace end, when it is the one used. */
  readonly validUntil?: string;
  /**
   * Whether the receiver refuses this token: `no` inside the grace window; `surely` once every
   * receiver's cached secret is younger than the grace end; `maybe` in between.
   */
  readonly refused: 'no' | 'maybe' | 'surely';
}

/** Amani's current token (what Amani signs with now), or the stored previous one. */
async function signingToken(target: Target, values: OptionValues): Promise<SigningToken> {
  if (!values['previous-token']) {
    return {
      token: await (await amaniFor(target)).getWebhookToken(),
      generation: 'current',
      which: "Amani's current token",
      refused: 'no',
    };
  }
  const secret = await readTokenSecret(target);
  if (!secret.previousToken) {
    throw new Error(
      'no previous token is stored: a rotation keeps one for its grace period (npx amani-webhooks rotate --force), an emergency rotation (--revoke-previous) keeps none',
    );
  }
  const validUntil = secret.previousTokenValidUntil;
  const graceEnd = validUntil ? Date.parse(validUntil) : Number.NEGATIVE_INFINITY;
  const now = Date.now();
  const refused = now < graceEnd ? 'no' : now < graceEnd + target.secretCacheTtlSeconds * 1000 ? 'maybe' : 'surely';
  return {
    token: secret.previousToken,
    generation: 'previous',
    which: 'the previous token',
    ...(validUntil ? { validUntil } : {}),
    refused,
  };
}

/** What the answer means, for the cases a person might not expect. */
function explain(status: number, signing: SigningToken, target: Target): string[] {
  const lines: string[] = [];
  if (status === 202)
    lines.push(
      '202: the bus refused the event; the delivery is parked in the fallback queue (npx amani-webhooks redrive moves it once the bus accepts)',
    );
  if (signing.generation !== 'previous') return lines;
  const ended = `the previous token's grace ended${signing.validUntil ? ` at ${signing.validUntil}` : ''}`;
  if (signing.refused === 'no')
    lines.push(
      `the previous token is accepted until ${signing.validUntil} (its grace window); the event's metadata says tokenGeneration "previous"`,
    );
  else if (signing.refused === 'surely') lines.push(`${ended}: the receiver must refuse it (401)`);
  else
    lines.push(
      `${ended}: a receiver refuses it once it re-reads the secret, within ${target.secretCacheTtlSeconds} s (secretCacheTtlSeconds); until then it may still accept it`,
    );
  return lines;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
