/**
 * The CLI's commands, in process, against a local stack (AWS stand-ins + Amani simulator +
 * the real receiver and rotator), including failure output and exit codes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, run } from '../../cli/main';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

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
  stack = await startLocalStack({ dataDir, fresh: true, receiverEnvironment: { PUBLISH_BUDGET_MS: '200', FALLBACK_BUDGET_MS: '1000' } });
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
    expect(drift.stdout).toContain("Amani's token is neither stored token: it was changed elsewhere (another stage on this Amani account, or Amani's dashboard)");
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
    expect(result.stdout).toMatch(/^token state {7}UNKNOWN: the sync after the failure failed too \(Token rotation failed at get-token: .*HTTP 401/);
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
    expect(result.stdout).toContain('the previous token was NOT revoked: run `npx amani-webhooks rotate --revoke-previous` again to revoke it');
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
