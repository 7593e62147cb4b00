/**
 * The local mode as a newcomer runs it: `local/start.ts` as a child process on free ports, the
 * CLI as a child process, and raw HTTP. Asserts the events in the local event log, a rotation
 * with its grace window, and tampered deliveries rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAmaniClient } from '../../lambda/adapters/amani-client';
import { readAmaniCredentials } from '../../lambda/adapters/amani-credentials';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import type { BusEvent } from '../../local/aws-emulator';
import { localModeArguments } from '../helpers/local-mode';
import type { LocalRuntime } from '../../local/local-stack';

const ROOT = resolve(__dirname, '../..');
const GRACE_SECONDS = 6;
let dataDir: string;
let child: ChildProcess;
let output = '';
let runtime: LocalRuntime;

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin/amani-webhooks.mjs'), ...args, '--data-dir', dataDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, AWS_ENDPOINT_URL: '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function events(): BusEvent[] {
  const file = join(dataDir, 'events.jsonl');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as BusEvent)
    : [];
}

async function amaniToken(): Promise<string> {
  const secretsManager = new SecretsManagerClient({
    endpoint: runtime.awsEndpoint,
    region: runtime.region,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  const credentials = await readAmaniCredentials(secretsManager, runtime.credentialsSecretId);
  return createAmaniClient({ baseUrl: runtime.amaniBaseUrl, credentials }).getWebhookToken();
}

async function deliver(token: string, options: { tamper?: boolean; wire?: 'python' | 'compact'; event?: string } = {}) {
  const delivery = prepareDelivery({
    payload: samplePayload(options.event ?? 'profile_update'),
    token,
    authMode: 'signature',
    wire: options.wire ?? 'python',
    tamper: options.tamper ?? false,
  });
  return sendDelivery(runtime.receiverUrl, delivery);
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; output:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'amani-local-'));
  child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', ...localModeArguments(dataDir), '--fresh', '--grace', String(GRACE_SECONDS / 60)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 40_000;
  while (!existsSync(join(dataDir, 'runtime.json'))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`local mode did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as LocalRuntime;
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await exited;
  }
});

describe('npm start (local mode)', () => {
  it('prints the endpoint and a one-line sample command', async () => {
    // runtime.json is written just before the banner; the pipe may deliver the banner later.
    await waitFor(() => output.includes('npx amani-webhooks send profile_status_change'));
    expect(output).toContain(`POST ${runtime.receiverUrl}`);
    expect(output).toContain('npx amani-webhooks send profile_status_change');
  });

  it('turns a delivery sent with the CLI into an event in .local/events.jsonl, printed readably', async () => {
    const sent = cli('send', 'profile_status_change', '--json');
    expect(sent.code).toBe(0);
    const answer = JSON.parse(sent.stdout) as { status: number; body: { deliveryId: string } };
    expect(answer.status).toBe(200);
    const event = events().find((e) => (e.detail as { metadata: { deliveryId: string } }).metadata.deliveryId === answer.body.deliveryId);
    expect(event).toMatchObject({ source: 'amani', 'detail-type': 'profile_status_change' });
    expect((event!.detail as { data: { event: string } }).data.event).toBe('profile_status_change');
    await waitFor(() => output.includes('amani / profile_status_change'));
  });

  it('accepts raw HTTP deliveries in both wire forms and rejects tampered ones', async () => {
    const token = await amaniToken();
    const before = events().length;
    expect((await deliver(token, { wire: 'python' })).status).toBe(200);
    const compact = await deliver(token, { wire: 'compact', event: 'document_upload' });
    expect(compact.status).toBe(200);
    expect((await deliver(token, { tamper: true })).status).toBe(401);
    expect((await deliver('not-the-token')).status).toBe(401);
    const added = events().slice(before);
    expect(added).toHaveLength(2);
    expect(added.map((e) => (e.detail as { metadata: { signatureForm: string } }).metadata.signatureForm)).toEqual(['raw', 'python-json']);
    const tampered = cli('send', 'profile_update', '--tamper');
    expect(tampered.code).toBe(0);
    expect(tampered.stdout).toContain('401');
  });

  it('rotates: the new token works at once, the old one only inside the grace window', async () => {
    const oldToken = await amaniToken();
    const rotated = cli('rotate', '--force', '--json');
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ ok: true, outcome: 'rotated' });
    const rotatedAt = Date.now();
    const newToken = await amaniToken();
    expect(newToken).not.toBe(oldToken);
    expect(rotated.stdout + rotated.stderr).not.toContain(newToken);

    expect((await deliver(newToken)).status).toBe(200);
    const insideGrace = await deliver(oldToken);
    expect(insideGrace.status).toBe(200);
    const last = events().at(-1)!;
    expect((last.detail as { metadata: { tokenGeneration: string } }).metadata.tokenGeneration).toBe('previous');

    await new Promise((r) => setTimeout(r, Math.max(0, rotatedAt + GRACE_SECONDS * 1000 + 500 - Date.now())));
    expect((await deliver(oldToken)).status).toBe(401);
    expect((await deliver(newToken)).status).toBe(200);
  }, 30_000);

  it('reports status and an empty fallback queue, never printing a token', async () => {
    const status = cli('status', '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ bootstrapped: true, inSyncWithAmani: true, fallbackQueueDepth: 0 });
    expect(status.stdout).not.toContain(await amaniToken());
    const redrive = cli('redrive', '--json');
    expect(redrive.code).toBe(0);
    expect(JSON.parse(redrive.stdout)).toMatchObject({ moved: 0, failed: 0, remaining: 0 });
  });

  it('never wrote a token or personal data to its output', async () => {
    const token = await amaniToken();
    expect(output).not.toContain(token);
    expect(output).not.toMatch(/Yılmaz|Müller|Đorđević|Łukasiewicz|العلي/);
  });

  it('stops cleanly on Ctrl-C and removes runtime.json', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, 'runtime.json'))).toBe(false);
    const notRunning = cli('status');
    expect(notRunning.code).toBe(3);
    expect(notRunning.stderr).toMatch(/npm start/);
  });
});
