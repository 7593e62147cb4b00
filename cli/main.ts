/**
 * `npx amani-webhooks <command>`: the operations CLI. Every command works against the local
 * mode (default; started by `npm start`) and against a deployed stack (`--stage`, `--region`;
 * outputs discovered with CloudFormation, credentials from the default chain).
 *
 * Exit codes: 0 done as asked; 1 the operation failed (or a delivery was not answered as
 * expected); 2 usage error; 3 target not found; 4 partly done (redrive left deliveries behind).
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAmaniClient, type AmaniApi } from '../lambda/adapters/amani-client';
import { readAmaniCredentials } from '../lambda/adapters/amani-credentials';
import { clientOptions } from '../lambda/adapters/aws-clients';
import { EventBridgePublisher } from '../lambda/adapters/event-bus';
import { SecretsManagerTokenStore } from '../lambda/adapters/token-secret-store';
import { AMANI_EVENTS, eventSwitches } from '../lambda/core/amani-events';
import { prepareDelivery, samplePayload, sendDelivery, type WireFormat } from '../local/amani-sender';
import { buildLocalRotator, invokeLocally } from '../local/local-stack';
import { redrive } from './redrive';
import { describeFailedRotation, type SyncAfterFailure } from './rotation-outcome';
import { resolveTarget, TargetNotFoundError, type Target } from './target';

export const EXIT = { ok: 0, failed: 1, usage: 2, targetNotFound: 3, partial: 4 } as const;

const HELP = `Usage: npx amani-webhooks <command> [options]

Commands:
  events                          list the events Amani offers
  register [--url U] [--events a,b|all] [--auth-mode signature|token]
                                  register the webhook with Amani (PUT /api/v2/webhook)
  status                          token state (rotatedAt, grace end, in sync with Amani, changed elsewhere) and
                                  fallback queue depth; never prints a token
  rotate [--force] [--revoke-previous]
                                  rotate the webhook token now (local rotator, or invoke the deployed one);
                                  a failed rotation runs a sync and says what state the token is in
  sync                            reconcile the stored token with Amani only (also bootstraps)
  send <event> [--url U] [--tamper] [--wire python|compact]
                                  send a correctly signed sample delivery, as Amani would (--tamper: see a 401)
  redrive [--max N] [--dry-run]   move deliveries from the fallback queue back onto the bus

Target (default: the local mode started by \`npm start\`):
  --stage <stage>                 a deployed stack, AmaniWebhooks-<stage> (AWS default credential chain)
  --region <region>               its region (default: from the environment/profile)
  --data-dir <dir>                the local mode's state directory (default .local)

Output:
  --json                          one JSON document on stdout (progress goes to stderr)
  -h, --help                      this text

Exit codes: 0 done, 1 failed, 2 usage error, 3 target not found, 4 partly done.
`;

class UsageError extends Error {}

type Values = Record<string, string | boolean | undefined>;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function run(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        stage: { type: 'string' },
        region: { type: 'string' },
        'data-dir': { type: 'string', default: '.local' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        url: { type: 'string' },
        events: { type: 'string' },
        'auth-mode': { type: 'string' },
        force: { type: 'boolean', default: false },
        'revoke-previous': { type: 'boolean', default: false },
        tamper: { type: 'boolean', default: false },
        wire: { type: 'string', default: 'python' },
        max: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${HELP}`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  const values = parsed.values as Values;
  if (values.help || !command) {
    (command || values.help ? io.out : io.err)(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const json = Boolean(values.json);
  // In-process Lambda handlers (local rotate/sync) log JSON for CloudWatch; here only problems matter.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const print = (human: string, data: unknown) => io.out(json ? `${JSON.stringify(data, null, 2)}\n` : `${human}\n`);
  const progress = (text: string) => io.err(`${text}\n`);

  try {
    const commandFn = COMMANDS[command];
    if (!commandFn) throw new UsageError(`Unknown command "${command}".`);
    const target = await resolveTarget({
      dataDir: String(values['data-dir']),
      ...(values.stage ? { stage: String(values.stage) } : {}),
      ...(values.region ? { region: String(values.region) } : {}),
    });
    return await commandFn({ target, values, args: rest, print, progress });
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\nRun with --help for usage.\n`);
      return EXIT.usage;
    }
    if (error instanceof TargetNotFoundError) {
      io.err(`${error.message}\n`);
      return EXIT.targetNotFound;
    }
    // Our adapters' messages name the endpoint/operation and status, never a secret.
    const e = error as Error;
    if (json) io.out(`${JSON.stringify({ ok: false, error: { name: e.name, message: e.message } }, null, 2)}\n`);
    io.err(`${command} failed: ${e.message}\n`);
    return EXIT.failed;
  }
}

interface CommandContext {
  target: Target;
  values: Values;
  args: string[];
  print: (human: string, data: unknown) => void;
  progress: (text: string) => void;
}

const COMMANDS: Record<string, (ctx: CommandContext) => Promise<number>> = {
  async events({ target, print }) {
    const events = await (await amaniFor(target)).listEvents();
    print(events.map((event) => `  ${event}`).join('\n'), { ok: true, events });
    return EXIT.ok;
  },

  async register({ target, values, print }) {
    const url = String(values.url ?? target.webhookUrl);
    const authMode = String(values['auth-mode'] ?? target.authMode);
    if (authMode !== 'signature' && authMode !== 'token') throw new UsageError('--auth-mode must be signature or token');
    const wanted = !values.events || values.events === 'all' ? [...AMANI_EVENTS] : String(values.events).split(',').map((e) => e.trim()).filter(Boolean);
    const unknown = wanted.filter((event) => !(AMANI_EVENTS as readonly string[]).includes(event));
    if (unknown.length > 0) throw new UsageError(`Unknown event(s): ${unknown.join(', ')}. Known: ${AMANI_EVENTS.join(', ')}`);
    const events = eventSwitches(wanted);
    await (await amaniFor(target)).registerWebhook({ url, signatureEnabled: authMode === 'signature', events });
    const enabled = Object.entries(events).filter(([, on]) => on).map(([event]) => event);
    print(`Registered ${url} with Amani (${authMode} mode), events: ${enabled.join(', ')}`, { ok: true, url, authMode, events });
    return EXIT.ok;
  },

  async status({ target, print }) {
    const secret = await new SecretsManagerTokenStore(secretsManager(target), target.tokenSecretId).read();
    let amaniToken: string | undefined;
    let amaniError: string | undefined;
    try {
      amaniToken = await (await amaniFor(target)).getWebhookToken();
    } catch (error) {
      amaniError = (error as Error).message;
    }
    const depth = await queueDepth(target);
    const now = Date.now();
    const graceEnd = secret.previousTokenValidUntil;
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
      inSyncWithAmani: amaniToken === undefined ? null : sha256(amaniToken) === sha256(secret.token ?? ''),
      // Amani holds a token this stack never stored: another stage on the account, or Amani's dashboard.
      changedElsewhere: amaniToken === undefined || !secret.token ? null : ![secret.token, secret.previousToken].some((stored) => stored !== undefined && sha256(stored) === sha256(amaniToken)),
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
          ? ["                  Amani's token is neither stored token: it was changed elsewhere (another stage on this Amani account, or Amani's dashboard)"]
          : []),
        `changed elsewhere ${state.tokenChangedElsewhereAt ? `last found by a sync at ${state.tokenChangedElsewhereAt} (alarm TokenChangedElsewhere)` : 'never found by a sync'}`,
        `fallback queue    ${depth} deliveries${depth > 0 ? ' - run redrive' : ''}`,
        'registration      Amani documents no read of the webhook registration; re-run register to set it',
      ].join('\n'),
      state,
    );
    return state.inSyncWithAmani === false ? EXIT.failed : EXIT.ok;
  },

  async rotate({ target, values, print, progress }) {
    const payload = values['revoke-previous'] ? { action: 'rotate', revokePrevious: true } : { action: 'rotate', force: Boolean(values.force) };
    try {
      return await runRotator(target, payload, print, progress, values['revoke-previous'] ? revocationNote(target) : undefined);
    } catch (error) {
      return reportFailedRotation(target, Boolean(values['revoke-previous']), error as Error, print, progress);
    }
  },

  async sync({ target, print, progress }) {
    return runRotator(target, { action: 'sync' }, print, progress);
  },

  async send({ target, values, args, print, progress }) {
    const [event] = args;
    if (!event) throw new UsageError(`send needs an event name, one of: ${AMANI_EVENTS.join(', ')}`);
    const wire = String(values.wire);
    if (wire !== 'python' && wire !== 'compact') throw new UsageError('--wire must be python or compact');
    const url = String(values.url ?? target.webhookUrl);
    const tamper = Boolean(values.tamper);
    // Sign as Amani does: with Amani's current token, fetched from its API.
    const token = await (await amaniFor(target)).getWebhookToken();
    const delivery = prepareDelivery({
      payload: samplePayload(event),
      token,
      authMode: target.authMode,
      wire: wire as WireFormat,
      signatureHeader: target.signatureHeader,
      tokenHeader: target.tokenHeader,
      tamper,
    });
    progress(`POST ${url} (${event}, ${delivery.body.length} bytes, ${target.authMode} mode, ${wire} wire${tamper ? ', tampered after signing' : ''})`);
    const answer = await sendDelivery(url, delivery);
    const accepted = answer.status >= 200 && answer.status < 300;
    print(`${answer.status} ${answer.body}`, { ok: tamper ? answer.status === 401 : accepted, status: answer.status, body: safeJson(answer.body) });
    // With --tamper the expected answer is a 401: anything else is a failure worth a non-zero exit.
    return (tamper ? answer.status === 401 : accepted) ? EXIT.ok : EXIT.failed;
  },

  async redrive({ target, values, print, progress }) {
    const max = values.max === undefined ? undefined : Number(values.max);
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new UsageError('--max must be a positive whole number');
    const options = clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 10_000, maxAttempts: 3 });
    const sqs = new SQSClient({ ...options, region: target.region });
    const bus = new EventBridgePublisher(new EventBridgeClient({ ...clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 1 }), region: target.region }), {
      maxAttempts: 6,
      baseDelayMs: 100,
      maxDelayMs: 2000,
      attemptTimeoutMs: 5000,
    });
    const report = await redrive(sqs, bus, {
      queueUrl: target.fallbackQueueUrl,
      eventBusName: target.eventBusName,
      ...(max !== undefined ? { maxMessages: max } : {}),
      dryRun: Boolean(values['dry-run']),
      onProgress: (r) => progress(`  received ${r.received}, moved ${r.moved}, failed ${r.failed}, invalid ${r.invalid}`),
    });
    const verb = values['dry-run'] ? 'would move' : 'moved';
    print(
      [
        `${verb} ${report.moved}, failed ${report.failed}, invalid ${report.invalid}, left in the queue ${report.remaining}`,
        ...report.failures.map((f) => `  ${f.deliveryId ?? '-'}: ${f.reason}`),
      ].join('\n'),
      { ok: report.failed === 0 && report.invalid === 0, dryRun: Boolean(values['dry-run']), ...report },
    );
    return report.failed > 0 || report.invalid > 0 ? EXIT.partial : EXIT.ok;
  },
};

async function runRotator(
  target: Target,
  payload: Record<string, unknown>,
  print: CommandContext['print'],
  progress: CommandContext['progress'],
  note?: { readonly text: string; readonly json: Record<string, unknown> },
): Promise<number> {
  progress(`${payload.action} on ${target.label}...`);
  const summary = await invokeRotator(target, payload);
  const s = summary as { outcome?: string; rotatedAt?: string; previousTokenValidUntil?: string; reconciled?: boolean };
  print(
    `${s.outcome ?? 'done'}${s.reconciled ? ' (repaired a secret that disagreed with Amani)' : ''}; rotatedAt ${s.rotatedAt ?? '-'}; previous token accepted until ${s.previousTokenValidUntil ?? '-'}${note ? `\n${note.text}` : ''}`,
    { ok: true, ...(summary as object), ...note?.json },
  );
  return EXIT.ok;
}

/** What an emergency revocation really guarantees: warm receivers trust their cached secret for its TTL. */
function revocationNote(target: Target): { text: string; json: Record<string, unknown> } {
  const seconds = target.secretCacheTtlSeconds;
  return {
    text: `the old token is no longer stored; every receiver refuses it within ${seconds} s (its secret cache lifetime, secretCacheTtlSeconds), until then a warm receiver may still accept it`,
    json: { oldTokenRefusedWithinSeconds: seconds },
  };
}

/** A failed rotation may have left Amani ahead of the secret: sync, then say what state the token is in. */
async function reportFailedRotation(target: Target, revokePrevious: boolean, error: Error, print: CommandContext['print'], progress: CommandContext['progress']): Promise<number> {
  progress(`rotate failed: ${error.message}`);
  progress('running sync to find out what state the token is in...');
  let sync: SyncAfterFailure;
  try {
    sync = { ok: true, summary: (await invokeRotator(target, { action: 'sync' })) as SyncAfterFailure['summary'] };
  } catch (syncError) {
    sync = { ok: false, error: (syncError as Error).message };
  }
  const report = describeFailedRotation({ revokePrevious }, sync);
  print(report.lines.join('\n'), { ok: false, error: { name: error.name, message: error.message }, tokenState: report.tokenState, sync });
  return EXIT.failed;
}

/** Runs the rotator (in process for the local mode, the deployed function otherwise); a failed run throws. */
async function invokeRotator(target: Target, payload: Record<string, unknown>): Promise<unknown> {
  let summary: unknown;
  if (!target.rotatorFunctionName) {
    const rotator = buildLocalRotator({
      tokenSecretId: target.tokenSecretId,
      credentialsSecretId: target.credentialsSecretId,
      amaniBaseUrl: target.amaniBaseUrl,
      previousTokenGraceMinutes: target.previousTokenGraceMinutes ?? 60,
    });
    summary = await invokeLocally(rotator, payload, 'amani-webhooks-rotator-local');
  } else {
    const lambda = new LambdaClient({ region: target.region });
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: target.rotatorFunctionName, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(payload)) }),
    );
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
    if (answer.FunctionError) {
      const error = safeJson(text) as { errorMessage?: string } | undefined;
      throw new Error(`the rotator failed: ${error?.errorMessage ?? answer.FunctionError}`);
    }
    summary = safeJson(text);
  }
  return summary;
}

function secretsManager(target: Target): SecretsManagerClient {
  return new SecretsManagerClient({ ...clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 3 }), region: target.region });
}

async function amaniFor(target: Target): Promise<AmaniApi> {
  const credentials = await readAmaniCredentials(secretsManager(target), target.credentialsSecretId);
  return createAmaniClient({ baseUrl: target.amaniBaseUrl, credentials });
}

async function queueDepth(target: Target): Promise<number> {
  const sqs = new SQSClient({ ...clientOptions({ connectionTimeoutMs: 2000, requestTimeoutMs: 5000, maxAttempts: 3 }), region: target.region });
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: target.fallbackQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(answer.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
