/**
 * One local mode per state folder: two processes writing the same `secrets.json`,
 * `events.jsonl` and `runtime.json` would overwrite each other's state, and the CLI would talk
 * to whichever wrote `runtime.json` last. The lock is a file created exclusively (`wx`), holding
 * the owner's pid; a lock whose owner no longer runs (a crash, a SIGKILL) is taken over.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isProcessAlive } from './runtime';

/** The state folder is in use by another running process; the message names it and what to do. */
export class StateFolderBusyError extends Error {
  override name = 'StateFolderBusyError';
}

export interface StateLock {
  readonly file: string;
  release(): void;
}

/** The lock file's name inside the state folder. */
export const LOCK_FILE = 'lock';

export function lockStateFolder(dataDir: string): StateLock {
  const folder = resolve(dataDir);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      if (owner !== undefined && isProcessAlive(owner)) {
        throw new StateFolderBusyError(
          `${folder} is in use by another local mode (pid ${owner}). Stop it, or start this one with its own --data-dir.`,
        );
      }
      rmSync(file, { force: true }); // its owner is gone
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    let released = false;
    return {
      file,
      release: () => {
        if (released) return;
        released = true;
        if (readOwner(file) === process.pid) rmSync(file, { force: true });
      },
    };
  }
  throw new StateFolderBusyError(`Could not lock ${folder}: another process keeps taking it. Start this one with its own --data-dir.`);
}

function readOwner(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
