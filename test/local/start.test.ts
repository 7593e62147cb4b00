/**
 * `npm start` as a person runs it: SIGTERM to npm's pid stops the local mode and frees its ports
 * (npm forwards the signal; the script execs node, so no shell sits in between), and a second
 * instance on the same state folder is refused.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localModeArguments } from '../helpers/local-mode';
import type { LocalRuntime } from '../../local/runtime';

const REPO = resolve(__dirname, '../..');
const started: ChildProcessWithoutNullStreams[] = [];
/** The local modes' own node processes, killed after the suite even if npm failed to stop them. */
const nodePids: number[] = [];

/** `npm start` without its prestart build (another suite may be building dist/ at the same time). */
function npmStart(dataDir: string): ChildProcessWithoutNullStreams {
  const child = spawn('npm', ['start', '--ignore-scripts', '--silent', '--', ...localModeArguments(dataDir)], {
    cwd: REPO,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  started.push(child);
  return child;
}

function output(child: ChildProcessWithoutNullStreams): { text: () => string } {
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { text: () => text };
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) =>
    child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code)),
  );

function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  for (const pid of nodePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

describe('npm start', () => {
  it('SIGTERM to npm stops the local mode: ports freed, state folder unlocked; a second instance was refused meanwhile', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'amani-start-'));
    const first = npmStart(dataDir);
    const firstOut = output(first);
    await waitFor(() => firstOut.text().includes('local mode is running'), 30_000, 'the local mode to start');
    const runtime = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as LocalRuntime;
    nodePids.push(runtime.pid);
    expect(runtime.pid).not.toBe(first.pid);
    const endpoints = [runtime.receiverUrl, runtime.amaniBaseUrl, runtime.awsEndpoint];
    for (const url of endpoints) expect(await accepts(url)).toBe(true);

    const second = npmStart(dataDir);
    const secondOut = output(second);
    expect(await exited(second)).toBe(1);
    expect(secondOut.text()).toContain(
      `is in use by another local mode (pid ${runtime.pid}). Stop it, or start this one with its own --data-dir.`,
    );

    first.kill('SIGTERM');
    await exited(first);
    await waitFor(() => !existsSync(join(dataDir, 'lock')), 5000, 'the lock to be released');
    for (const url of endpoints) expect(await accepts(url)).toBe(false);
    expect(() => process.kill(runtime.pid, 0)).toThrow();
    expect(existsSync(join(dataDir, 'runtime.json'))).toBe(false);
  }, 60_000);
});
