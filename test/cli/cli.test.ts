/**
 * The CLI's commands, in process, against a local stack (AWS stand-ins + Amani simulator +
 * the real receiver and rotator), including failure output and exit codes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, run } from '../../cli/main';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { closedPort } from '../helpers/ports';

let stack: LocalStack;
let dataDir: string;

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run([...args, '--data-dir', dataDir], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

const logLevelBefore = process.env.POWERTOOLS_LOG_LEVEL;

beforeAll(async () => {
  // The failure paths below make the local rotator log errors; the CLI's own output is asserted.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  dataDir = mkdtempSync(join(tmpdir(), 'amani-cli-'));
  stack = await startLocalStack({ dataDir, fresh: true, receiver: { publishBudgetMs: 200, fallbackBudgetMs: 1000 } });
});
afterAll(() => {
  if (logLevelBefore === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = logLevelBefore;
  return stack.close();
});

describe('amani-webhooks CLI', () => {
  it('prints help and refuses unknown commands and options with exit code 2', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toMatch(/redrive \[--max N\]/);
    expect((await cli('frobnicate')).code).toBe(EXIT.usage);
    expect((await cli('status', '--bogus')).code).toBe(EXIT.usage);
    const noEvent = await cli('send');
    expect(noEvent.code).toBe(EXIT.usage);
    expect(noEvent.stderr).toMatch(/send needs an event name/);
    expect((await cli('register', '--events', 'profile_create,not_an_event')).stderr).toMatch(/Unknown event\(s\): not_an_event/);
  });

  it('a usage error is two short lines naming the command and its own help; --json gets an error object', async () => {
    const wrongFlag = await cli('status', '--bogus');
    expect(wrongFlag.stderr).toBe(
      'amani-webhooks status: unknown option --bogus for status\nRun `npx amani-webhooks status --help` for usage.\n',
    );
    expect(wrongFlag.stdout).toBe('');
    const missingValue = await cli('send', 'profile_create', '--url');
    expect(missingValue.code).toBe(EXIT.usage);
    expect(missingValue.stderr).toMatch(/^amani-webhooks send: --url needs a value\n/);
    const asJson = await cli('send', 'bogus_event', '--json');
    expect(asJson.code).toBe(EXIT.usage);
    expect(asJson.json()).toEqual({
      ok: false,
      error: { kind: 'usage', message: expect.stringMatching(/^Unknown event "bogus_event"\. Known: profile_create, /) },
    });
    const unknownCommand = await cli('frobnicate', '--json');
    expect(unknownCommand.json()).toMatchObject({
      ok: false,
      error: { kind: 'usage', message: expect.stringContaining('Commands: events, register, status') },
    });
  });

  it("each command's --help is its own: options, --json shape and exit codes", async () => {
    const sendHelp = await cli('send', '--help');
    expect(sendHelp.code).toBe(EXIT.ok);
    expect(sendHelp.stdout).toMatch(/^Usage: npx amani-webhooks send <event> /);
    expect(sendHelp.stdout).toContain('--previous-token');
    expect(sendHelp.stdout).toContain('--json: {"ok": <answered as expected>');
    expect(sendHelp.stdout).not.toContain('redrive [--max N]');
    expect((await cli('redrive', '-h')).stdout).toMatch(/^Usage: npx amani-webhooks redrive \[--max N\] \[--dry-run\]/);
  });

  it('send refuses an event Amani does not have, as register does', async () => {
    const result = await cli('send', 'bogus_event');
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(
      /^amani-webhooks send: Unknown event "bogus_event"\. Known: profile_create, .*video_call_status_change\n/,
    );
    expect((await cli('send', 'profile_create', 'document_upload')).stderr).toMatch(/send takes one event/);
  });

  it('register refuses a URL Amani could not deliver to, and changes nothing', async () => {
    const before = stack.amani.registration();
    for (const url of ['notaurl', 'http://example.com/webhook', 'ftp://127.0.0.1/webhook']) {
      const result = await cli('register', '--url', url);
      expect(result.code).toBe(EXIT.usage);
      expect(result.stderr).toMatch(/--url/);
    }
    expect(stack.amani.registration()).toEqual(before);
  });

  it("register warns when the auth mode differs from the receiver's, and says what follows", async () => {
    const result = await cli('register', '--auth-mode', 'token', '--json');
    expect(result.code).toBe(EXIT.ok);
    expect(result.stderr).toMatch(
      /^warning: the receiver \(local mode .*\) checks signature mode, but Amani is told token mode: every delivery will be refused \(401\)/,
    );
    expect(result.json()).toMatchObject({ authMode: 'token', warnings: [expect.stringContaining('checks signature mode')] });
    expect(stack.amani.registration()).toMatchObject({ signature_enabled: false });
    const back = await cli('register');
    expect(back.stderr).not.toMatch(/warning/);
    expect(stack.amani.registration()).toMatchObject({ signature_enabled: true });
  });

  it('a network failure keeps its cause: connection refused, exit 1', async () => {
    const closed = await closedPort();
    const result = await cli('send', 'profile_create', '--url', `http://127.0.0.1:${closed}/webhook`, '--json');
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(
      new RegExp(`\nsend failed: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${closed} \\(connection refused\\)\\n`),
    );
    expect(result.json()).toMatchObject({
      ok: false,
      error: { kind: 'failed', cause: 'network', message: expect.stringContaining('connection refused') },
    });
  });

  it('send --previous-token inside the grace window: accepted, published as tokenGeneration previous', async () => {
    expect((await cli('rotate', '--force')).code).toBe(EXIT.ok);
    const result = await cli('send', 'profile_update', '--previous-token', '--json');
    expect(result.code).toBe(EXIT.ok);
    expect(result.json()).toMatchObject({ ok: true, status: 200, expected: '2xx', tokenGeneration: 'previous' });
    const id = (result.json().body as { deliveryId: string }).deliveryId;
    const event = stack.emulator.events().find((e) => (e.detail as { metadata: { deliveryId: string } }).metadata.deliveryId === id);
    expect((event?.detail as { metadata: { tokenGeneration: string } } | undefined)?.metadata.tokenGeneration).toBe('previous');
    expect((await cli('send', 'profile_update', '--previous-token')).stdout).toMatch(
      /the previous token is accepted until \S+ \(its grace window\)/,
    );
  });

  it('says how to start the local mode when it is not running (exit 3)', async () => {
    let stderr = '';
    const code = await run(['status', '--data-dir', join(dataDir, 'nowhere')], { out: () => undefined, err: (t) => (stderr += t) });
    expect(code).toBe(EXIT.targetNotFound);
    expect(stderr).toMatch(/not running.*npm start/);
  });

  it("lists Amani's events", async () => {
    const result = await cli('events', '--json');
    expect(result.code).toBe(EXIT.ok);
    expect(result.json().events).toEqual(expect.arrayContaining(['profile_create', 'video_call_status_change']));
  });

  it('registers the webhook with the chosen events and auth mode', async () => {
    const result = await cli('register', '--events', 'profile_create,document_upload', '--auth-mode', 'signature', '--json');
    expect(result.code).toBe(EXIT.ok);
    const registration = stack.amani.registration();
    expect(registration).toMatchObject({ url: stack.runtime.receiverUrl, signature_enabled: true });
    expect(registration?.events).toMatchObject({ profile_create: true, document_upload: true, profile_update: false });
    await cli('register'); // back to all events
    expect(Object.values(stack.amani.registration()?.events ?? {}).every(Boolean)).toBe(true);
  });

  it('reports an Amani failure with the endpoint and status, exit 1', async () => {
    stack.amani.injectFault('listEvents', { kind: 'fail-before', status: 500 }, { times: 10 });
    const result = await cli('events');
    stack.amani.clearFaults();
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/events failed: .*webhook\/events.*500/);
  });

  it('shows status without tokens, and exit 1 when the secret disagrees with Amani; sync repairs it', async () => {
    const ok = await cli('status', '--json');
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.json()).toMatchObject({ bootstrapped: true, inSyncWithAmani: true });
    expect(ok.json()).toMatchObject({ changedElsewhere: false, tokenChangedElsewhereAt: null });
    stack.amani.rotateOutOfBand();
    const drift = await cli('status');
    expect(drift.code).toBe(EXIT.failed);
    expect(drift.stdout).toMatch(/NO - run sync/);
    expect(drift.stdout).toContain(
      "Amani's token is neither stored token: it was changed elsewhere (another stage on this Amani account, or Amani's dashboard)",
    );
    const sync = await cli('sync', '--json');
    expect(sync.code).toBe(EXIT.ok);
    expect(sync.json()).toMatchObject({ outcome: 'reconciled', reconciled: true, changedElsewhere: true });
    const after = await cli('status', '--json');
    expect(after.json()).toMatchObject({ inSyncWithAmani: true, changedElsewhere: false, tokenChangedElsewhereAt: expect.any(String) });
    expect((await cli('status')).stdout).toMatch(/changed elsewhere last found by a sync at \S+ \(alarm TokenChangedElsewhere\)/);
    const everything = [ok, drift, sync, after].map((r) => r.stdout + r.stderr).join('\n');
    for (const secret of stack.amani.sensitiveValues()) expect(everything).not.toContain(secret);
  });

  it('rotates with --revoke-previous: the old token stops working at once', async () => {
    const oldToken = stack.amani.currentToken()!;
    const result = await cli('rotate', '--revoke-previous', '--json');
    expect(result.code).toBe(EXIT.ok);
    expect(result.json()).toMatchObject({ outcome: 'rotated' });
    expect(result.json().previousTokenValidUntil).toBeUndefined();
    const delivery = prepareDelivery({ payload: samplePayload('profile_update'), token: oldToken, authMode: 'signature' });
    expect((await sendDelivery(stack.runtime.receiverUrl, delivery)).status).toBe(401);
    expect((await cli('send', 'profile_update')).code).toBe(EXIT.ok);
  });

  it('a failed rotation whose sync fails too: exit 1, token state unknown, how it heals', async () => {
    stack.amani.injectFault('login', { kind: 'fail-before', status: 401 }, { times: 10 });
    const result = await cli('rotate', '--force');
    stack.amani.clearFaults();
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/rotate failed: .*credential/i);
    expect(result.stderr).toContain('running sync to find out what state the token is in...');
    expect(result.stdout).toMatch(
      /^token state {7}UNKNOWN: the sync after the failure failed too \(Token rotation failed at get-token: .*HTTP 401/,
    );
    expect(result.stdout).toContain('the scheduled sync retries every 15 minutes. Fix the cause, then run: npx amani-webhooks sync');
    for (const secret of stack.amani.sensitiveValues()) expect(result.stderr + result.stdout).not.toContain(secret);
  });

  it('a rotation Amani refused: the sync finds the token unchanged', async () => {
    const before = stack.amani.currentToken();
    stack.amani.injectFault('rotateToken', { kind: 'fail-before', status: 403 });
    const result = await cli('rotate', '--force', '--json');
    expect(result.code).toBe(EXIT.failed);
    expect(result.json()).toMatchObject({
      ok: false,
      error: { name: 'RotationError', message: expect.stringContaining('at rotate-token') },
      tokenState: 'unchanged',
      sync: { ok: true, summary: { outcome: 'in-sync' } },
    });
    expect(stack.amani.currentToken()).toBe(before);
  });

  it('an emergency rotation that failed after Amani rotated: the sync stores the new token and says the old one was not revoked', async () => {
    const leaked = stack.amani.currentToken()!;
    // PATCH takes effect but its answer is lost, and Amani cannot be asked what happened: the run fails.
    stack.amani.injectFault('rotateToken', { kind: 'fail-after', status: 500 });
    stack.amani.injectFault('getToken', { kind: 'fail-before', status: 503 }, { skip: 1, times: 4 });
    const result = await cli('rotate', '--revoke-previous');
    stack.amani.clearFaults();
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toMatch(/rotate failed: Token rotation failed at resolve-ambiguous/);
    expect(result.stdout).toMatch(/^token state {7}ROTATED: Amani had a new token/);
    expect(result.stdout).toMatch(/the previous token is accepted until \S+/);
    expect(result.stdout).toContain(
      'the previous token was NOT revoked: run `npx amani-webhooks rotate --revoke-previous` again to revoke it',
    );
    expect(stack.amani.currentToken()).not.toBe(leaked);
    expect((await cli('status', '--json')).json().inSyncWithAmani).toBe(true);
    expect((await cli('rotate', '--revoke-previous', '--json')).json().previousTokenValidUntil).toBeUndefined();
  });

  it('send exits 1 when the receiver does not accept, and --tamper exits 0 only on a 401', async () => {
    const wrongUrl = await cli('send', 'profile_create', '--url', stack.runtime.receiverUrl.replace('/webhook', '/nope'));
    expect(wrongUrl.code).toBe(EXIT.failed);
    expect(wrongUrl.stdout).toMatch(/^404/);
    expect((await cli('send', 'profile_create', '--tamper')).code).toBe(EXIT.ok);
  });

  it('redrives parked deliveries onto the bus, losing none, and reports counts', async () => {
    // The bus refuses: deliveries are parked in the fallback queue and answered 202.
    stack.emulator.injectFault('PutEvents', { kind: 'partial', errorCode: 'ThrottlingException' });
    const parked: string[] = [];
    for (let i = 0; i < 12; i++) {
      const sent = await cli('send', 'document_status_change', '--json');
      expect(sent.json().status).toBe(202);
      parked.push((sent.json().body as { deliveryId: string }).deliveryId);
    }
    expect(stack.emulator.queueMessages('amani-webhooks-local-fallback')).toHaveLength(12);
    const before = stack.emulator.events().length;

    // Still refusing: nothing moves, nothing is lost, exit 4.
    const refused = await cli('redrive', '--json');
    expect(refused.code).toBe(EXIT.partial);
    expect(refused.json()).toMatchObject({ moved: 0, failed: 1, remaining: 12 });
    expect(stack.emulator.queueMessages('amani-webhooks-local-fallback')).toHaveLength(12);

    stack.emulator.clearFaults();
    // The failed run left every message visible: the next redrive finds them all at once.
    const dryRun = await cli('redrive', '--dry-run', '--json');
    expect(dryRun.json()).toMatchObject({ dryRun: true, moved: 10, remaining: 12 });
    const moved = await cli('redrive', '--json');
    expect(moved.code).toBe(EXIT.ok);
    expect(moved.json()).toMatchObject({ moved: 12, failed: 0, remaining: 0 });
    const redriven = stack.emulator.events().slice(before);
    const ids = redriven.map((e) => (e.detail as { metadata: { deliveryId: string } }).metadata.deliveryId);
    expect(new Set(ids)).toEqual(new Set(parked));
    expect(redriven.every((e) => e['event-bus-name'] === stack.runtime.eventBusName)).toBe(true);
  }, 60_000);
});

describe('amani-webhooks CLI: the delivery ledger and replay', () => {
  const onBus = (id: string) =>
    stack.emulator.events().filter((e) => (e.detail as { metadata: { deliveryId: string } }).metadata.deliveryId === id);

  it('send --repeat 2: one delivery twice, the second answered as a suppressed copy, one event on the bus', async () => {
    const sent = await cli('send', 'profile_level_update', '--repeat', '2', '--json');
    expect(sent.code).toBe(EXIT.ok);
    const result = sent.json() as { answers: { status: number; body: { deliveryId: string; duplicate?: boolean } }[]; suppressed: number };
    const id = result.answers[0]!.body.deliveryId;
    expect(result.answers).toEqual([
      { status: 200, body: { deliveryId: id } },
      { status: 200, body: { deliveryId: id, duplicate: true } },
    ]);
    expect(result.suppressed).toBe(1);
    expect(onBus(id)).toHaveLength(1);
    const human = await cli('send', 'profile_level_update', '--repeat', '2');
    expect(human.stdout).toMatch(/^copy 2: 200 .*"duplicate":true}\n {2}a copy of a delivery the receiver already handed on/m);
    expect((await cli('send', 'profile_level_update', '--repeat', '0')).code).toBe(EXIT.usage);
  });

  it('with the ledger down, both copies are published, marked dedup "unchecked", and send says why', async () => {
    stack.faults.set('dynamodb-down', true);
    try {
      const sent = await cli('send', 'zip_file_create', '--repeat', '2');
      expect(sent.code).toBe(EXIT.ok);
      expect(sent.stdout).toMatch(
        /^copy 2: 200 \{"deliveryId":"[0-9a-f]{64}"\}\n {2}published again: the receiver did not recognise it as a copy/m,
      );
      const id = /"deliveryId":"([0-9a-f]{64})"/.exec(sent.stdout)![1]!;
      expect(onBus(id).map((e) => (e.detail as { metadata: { dedup?: string } }).metadata.dedup)).toEqual(['unchecked', 'unchecked']);
    } finally {
      stack.faults.set('dynamodb-down', false);
    }
  });

  it('deliveries lists the ledger newest first, filtered by event and outcome; delivery shows one', async () => {
    const sent = await cli('send', 'video_call_status_change', '--repeat', '3', '--json');
    const id = (sent.json() as { body: { deliveryId: string } }).body.deliveryId;
    const listed = await cli('deliveries', '--since', '10m', '--json');
    expect(listed.code).toBe(EXIT.ok);
    const rows = (listed.json() as { deliveries: { deliveryId: string; receivedAt: string; copies: number; outcome: string }[] })
      .deliveries;
    expect(rows[0]).toMatchObject({ deliveryId: id, copies: 3, outcome: 'published' });
    expect(rows.map((r) => r.receivedAt)).toEqual([...rows.map((r) => r.receivedAt)].sort().reverse());
    expect(JSON.stringify(rows)).not.toMatch(/claimId|first_name|last_name|"profile"/);

    const byEvent = (await cli('deliveries', '--event', 'video_call_status_change', '--json')).json() as { deliveries: unknown[] };
    expect(byEvent.deliveries).toHaveLength(1);
    const duplicates = (await cli('deliveries', '--outcome', 'duplicate', '--json')).json() as { deliveries: { copies: number }[] };
    expect(duplicates.deliveries.length).toBeGreaterThanOrEqual(1);
    for (const row of duplicates.deliveries) expect(row.copies).toBeGreaterThan(1);
    const table = await cli('deliveries', '--since', '10m');
    expect(table.stdout.split('\n')[0]).toMatch(/^RECEIVED \(UTC\) +EVENT +OUTCOME +COPIES +DELIVERY ID +EVENTBRIDGE EVENT ID$/);
    expect(table.stdout).toContain(`video_call_status_change  published  3       ${id}`);
    expect((await cli('deliveries', '--since', 'yesterday')).code).toBe(EXIT.usage);
    expect((await cli('deliveries', '--outcome', 'lost')).code).toBe(EXIT.usage);
    expect((await cli('deliveries', '--since', '2099-01-01T00:00:00Z', '--json')).code).toBe(EXIT.usage);

    const one = await cli('delivery', id);
    expect(one.code).toBe(EXIT.ok);
    expect(one.stdout).toMatch(/^copies received +3 \(2 suppressed; last at /m);
    expect(one.stdout).toMatch(new RegExp(`^EventBridge event id +${onBus(id)[0]!.id}$`, 'm'));
    const missing = await cli('delivery', 'no-such-delivery', '--json');
    expect(missing.code).toBe(EXIT.failed);
    expect(missing.json()).toEqual({ ok: false, found: false, deliveryId: 'no-such-delivery' });
  });

  it('replay --dry-run counts the window from the ledger; a replay puts the archived events back with replay-name', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the archive matches by event time, in whole seconds
    const counted = await cli('replay', '--from', '10m', '--to', 'now', '--dry-run', '--json');
    expect(counted.code).toBe(EXIT.ok);
    const archived = stack.emulator.events().filter((e) => !e['replay-name'] && e.source === 'amani');
    // The ledger counts what it recorded: not the events published while it was down (the test above).
    const recorded = archived.filter((e) => (e.detail as { metadata: { dedup?: string } }).metadata.dedup !== 'unchecked');
    expect(counted.json()).toMatchObject({ ok: true, dryRun: true, count: recorded.length });
    expect(recorded.length).toBeLessThan(archived.length);
    const oneEvent = (
      await cli('replay', '--from', '10m', '--to', 'now', '--dry-run', '--event', 'video_call_status_change', '--json')
    ).json();
    expect(oneEvent).toMatchObject({ count: 1, event: 'video_call_status_change' });

    // The operator role may only start replays named after the bus: other names are refused.
    const misnamed = await cli('replay', '--from', '10m', '--to', 'now', '--name', 'cli-test-replay');
    expect(misnamed.code).toBe(EXIT.usage);
    expect(misnamed.stderr).toMatch(/--name must start with "amani-webhooks-local-"/);
    const replayed = await cli('replay', '--from', '10m', '--to', 'now', '--name', 'amani-webhooks-local-cli-test', '--json');
    expect(replayed.code).toBe(EXIT.ok);
    expect(replayed.json()).toMatchObject({ ok: true, replayName: 'amani-webhooks-local-cli-test', state: 'COMPLETED' });
    expect(replayed.stderr).toMatch(/replay amani-webhooks-local-cli-test started \(STARTING\)/);
    expect(replayed.stderr).toMatch(/COMPLETED: the last replayed event is from 20\d\d-/);
    const copies = stack.emulator.events().filter((e) => e['replay-name'] === 'amani-webhooks-local-cli-test');
    expect(copies.map((e) => (e.detail as { metadata: { deliveryId: string } }).metadata.deliveryId).sort()).toEqual(
      archived.map((e) => (e.detail as { metadata: { deliveryId: string } }).metadata.deliveryId).sort(),
    );

    const byName = await cli('replay', '--from', '10m', '--to', 'now', '--event', 'profile_create');
    expect(byName.code).toBe(EXIT.usage);
    expect(byName.stderr).toMatch(/cannot select events by name.*--rule NAME/);
    expect((await cli('replay', '--from', '10m', '--to', '2099-01-01T00:00:00Z')).code).toBe(EXIT.usage);
    expect((await cli('replay', '--from', '10m')).code).toBe(EXIT.usage);
    // No rules exist locally: a replay to a rule is refused as EventBridge refuses an unknown rule.
    const toRule = await cli('replay', '--from', '10m', '--to', 'now', '--rule', 'consumer-a');
    expect(toRule.code).toBe(EXIT.failed);
    expect(toRule.stderr).toMatch(/consumer-a does not exist/);
  });
});

describe('amani-webhooks CLI on a token-mode receiver', () => {
  let tokenStack: LocalStack;
  let tokenDir: string;
  const tokenCli = async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await run([...args, '--data-dir', tokenDir], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
    return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
  };
  beforeAll(async () => {
    tokenDir = mkdtempSync(join(tmpdir(), 'amani-cli-token-'));
    // A grace of 1 s (0.01 min, rounded to whole seconds) and a secret cache of 1 s: the previous token is surely refused 2 s after a rotation.
    tokenStack = await startLocalStack({
      dataDir: tokenDir,
      fresh: true,
      authMode: 'token',
      previousTokenGraceMinutes: 0.01,
      receiver: { secretCacheTtlMs: 1000 },
    });
  });
  afterAll(() => tokenStack.close());

  it('send --tamper is refused: token mode has no body integrity, and the message says so', async () => {
    const before = tokenStack.emulator.events().length;
    const result = await tokenCli('send', 'document_upload', '--tamper', '--json');
    expect(result.code).toBe(EXIT.usage);
    expect(result.json()).toMatchObject({
      ok: false,
      error: {
        kind: 'usage',
        message: expect.stringMatching(
          /--tamper needs signature mode; .* is in token mode, where Amani sends the token itself in Webhook-Token and nothing covers the body/,
        ),
      },
    });
    expect(tokenStack.emulator.events()).toHaveLength(before);
    const plain = await tokenCli('send', 'document_upload');
    expect(plain.code).toBe(EXIT.ok);
    expect(plain.stderr).toMatch(/token mode: Amani's current token in Webhook-Token, body not signed/);
  });

  it('send --previous-token after the grace window: refused (401), which is the expected answer', async () => {
    expect((await tokenCli('rotate', '--force')).code).toBe(EXIT.ok);
    const justAfter = await tokenCli('send', 'profile_update', '--previous-token', '--json');
    expect(justAfter.json()).toMatchObject({ ok: true, status: 200, expected: '2xx', tokenGeneration: 'previous' });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const result = await tokenCli('send', 'profile_update', '--previous-token', '--json');
    expect(result.json()).toMatchObject({ ok: true, status: 401, expected: '401', tokenGeneration: 'previous' });
    expect(result.code).toBe(EXIT.ok);
    expect((await tokenCli('send', 'profile_update', '--previous-token')).stdout).toMatch(
      /^401 .*\nthe previous token's grace ended at \S+: the receiver must refuse it \(401\)/,
    );
  });
});

describe('amani-webhooks CLI --stage without a usable AWS setup', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    // No credentials or region from anywhere (environment, files, instance metadata); a request
    // that somehow got through would go to a closed loopback port, never to AWS.
    for (const key of [
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
    ])
      delete process.env[key];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: join(tmpdir(), 'amani-no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'amani-no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    });
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('a missing region is named, with what to do: exit 1, not "target not found"', async () => {
    let stderr = '';
    const code = await run(['status', '--stage', 'prod'], { out: () => undefined, err: (t) => (stderr += t) });
    expect(code).toBe(EXIT.failed);
    expect(stderr).toBe(
      'status failed: Could not describe stack AmaniWebhooks-prod: Region is missing\nPass --region <region> or set AWS_REGION.\n',
    );
  });

  it('missing credentials are named, with what to do: exit 1 and a JSON error with the cause', async () => {
    let stdout = '';
    let stderr = '';
    const code = await run(['status', '--stage', 'prod', '--region', 'eu-west-1', '--json'], {
      out: (t) => (stdout += t),
      err: (t) => (stderr += t),
    });
    expect(code).toBe(EXIT.failed);
    expect(stderr).toMatch(
      /^status failed: Could not describe stack AmaniWebhooks-prod: Could not load credentials from any providers\nCheck your AWS credentials/,
    );
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      error: { kind: 'failed', cause: 'credentials', hint: expect.stringContaining('AWS credentials') },
    });
  });
});
