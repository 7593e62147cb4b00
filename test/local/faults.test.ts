/**
 * `npm start -- --fault`: simulated outages of the stand-ins, watched through the CLI as a
 * newcomer would (a 202 and its redrive, a 503, Amani down).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, run } from '../../cli/main';
import { parseFaultSpec, type LocalFault } from '../../local/faults';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

let stack: LocalStack;
let dataDir: string;
const cleared: LocalFault[] = [];

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run([...args, '--data-dir', dataDir], { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  dataDir = mkdtempSync(join(tmpdir(), 'amani-faults-'));
  stack = await startLocalStack({
    dataDir,
    fresh: true,
    faults: [{ fault: 'bus-down', seconds: 4 }],
    onFaultCleared: (fault) => cleared.push(fault),
    receiver: { publishBudgetMs: 200 },
  });
});
afterAll(() => stack.close());

describe('local fault injection', () => {
  it('bus-down: a delivery is parked (202) and said to be; once the fault clears, redrive moves it', async () => {
    const parked = await cli('send', 'profile_status_change');
    expect(parked.code).toBe(EXIT.ok);
    expect(parked.stdout).toMatch(
      /^202 \{"deliveryId":"[0-9a-f]{64}"\}\n202: the bus refused the event; the delivery is parked in the fallback queue/,
    );
    expect(stack.faults.active()).toEqual(['bus-down']);
    const refused = await cli('redrive', '--json');
    expect(refused.code).toBe(EXIT.partial);
    expect(refused.json()).toMatchObject({ moved: 0, failed: 1, remaining: 1 });

    await waitFor(() => cleared.includes('bus-down'), 8000);
    expect(stack.faults.active()).toEqual([]);
    const moved = await cli('redrive', '--json');
    expect(moved.code).toBe(EXIT.ok);
    expect(moved.json()).toMatchObject({ moved: 1, failed: 0, remaining: 0 });
    expect((await cli('send', 'profile_status_change', '--json')).json()).toMatchObject({ status: 200 });
  }, 20_000);

  it('bus-down with fallback-down: 503, so Amani would retry; nothing parked', async () => {
    stack.faults.set('bus-down', true);
    stack.faults.set('fallback-down', true);
    try {
      const result = await cli('send', 'document_upload', '--json');
      expect(result.code).toBe(EXIT.failed);
      expect(result.json()).toMatchObject({ ok: false, status: 503 });
      expect(stack.emulator.queueMessages('amani-webhooks-local-fallback')).toHaveLength(0);
    } finally {
      stack.faults.set('bus-down', false);
      stack.faults.set('fallback-down', false);
    }
  }, 20_000);

  it("amani-down: Amani's 503 reaches the operator; rotate reports the token state", async () => {
    stack.faults.set('amani-down', true);
    try {
      const events = await cli('events');
      expect(events.code).toBe(EXIT.failed);
      expect(events.stderr).toMatch(/^events failed: .*HTTP 503/);
      const rotate = await cli('rotate', '--force');
      expect(rotate.code).toBe(EXIT.failed);
      expect(rotate.stdout).toMatch(/^token state {7}UNKNOWN/);
    } finally {
      stack.faults.set('amani-down', false);
    }
    expect((await cli('events')).code).toBe(EXIT.ok);
  }, 30_000);

  it('parses --fault values and refuses unknown ones with the list', () => {
    expect(parseFaultSpec('bus-down')).toEqual({ fault: 'bus-down' });
    expect(parseFaultSpec('secrets-down:1.5')).toEqual({ fault: 'secrets-down', seconds: 1.5 });
    expect(() => parseFaultSpec('bus-dwn')).toThrow('Unknown fault "bus-dwn". Known: bus-down, fallback-down, secrets-down, amani-down');
    expect(() => parseFaultSpec('bus-down:0')).toThrow('the duration must be a number of seconds above 0');
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
