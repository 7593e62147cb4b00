/** One local mode per state folder: an exclusive lock file holding its owner's pid. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../../local/local-stack';
import { lockStateFolder, StateFolderBusyError } from '../../local/state-lock';

beforeAll(() => {
  // The local stacks below bootstrap with the real rotator: its logs and metrics are not asserted here.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

const folder = () => mkdtempSync(join(tmpdir(), 'amani-lock-'));

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout as unknown as number;
}

describe('state folder lock', () => {
  it('refuses a second holder while the first lives, naming it; free again once released', () => {
    const dir = folder();
    const first = lockStateFolder(dir);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(() => lockStateFolder(dir)).toThrow(StateFolderBusyError);
    expect(() => lockStateFolder(dir)).toThrow(
      `is in use by another local mode (pid ${process.pid}). Stop it, or start this one with its own --data-dir.`,
    );
    first.release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    lockStateFolder(dir).release();
  });

  it('takes over a lock whose owner is gone (a crash or SIGKILL)', () => {
    const dir = folder();
    writeFileSync(join(dir, 'lock'), `${Number(deadPid())}\n`);
    const lock = lockStateFolder(dir);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });

  it('a second local stack on the same folder is refused before it touches the state; --fresh keeps the lock', async () => {
    const dir = folder();
    const stack = await startLocalStack({ dataDir: dir, fresh: true });
    try {
      const secrets = readFileSync(join(dir, 'secrets.json'), 'utf8');
      await expect(startLocalStack({ dataDir: dir, fresh: true })).rejects.toThrow(StateFolderBusyError);
      expect(readFileSync(join(dir, 'secrets.json'), 'utf8')).toBe(secrets);
      expect(existsSync(join(dir, 'runtime.json'))).toBe(true);
    } finally {
      await stack.close();
    }
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    const again = await startLocalStack({ dataDir: dir, fresh: true });
    expect(existsSync(join(dir, 'lock'))).toBe(true);
    await again.close();
  });
});
