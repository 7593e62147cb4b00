/**
 * The repository stands on its own and its layers point one way: no file refers to the
 * workspace folder beside it (its path is assembled below, so this file does not name it
 * either), and the CLI, the local mode and the bench never import test code.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..');
/** The workspace folder beside the repository, which nothing in it may point at. */
const OUTSIDE_WORKSPACE = ['..', 'shared'].join('/');
const SKIP = new Set(['node_modules', '.git', 'cdk.out', 'dist', '.local', 'coverage']);

function files(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIP.has(entry.name) || entry.name.startsWith('.') ? [] : files(path);
    return [path];
  });
}

describe('repository', () => {
  it('no file points at the workspace folder beside it (comments and docs included)', () => {
    const offenders = files('')
      .filter((path) => /\.(ts|mjs|cjs|js|json|md|py|sh)$/.test(path) || path === '.ci/run')
      .filter((path) => readFileSync(join(REPO, path), 'utf8').includes(OUTSIDE_WORKSPACE));
    expect(offenders).toEqual([]);
  });

  it.each(['bench', 'cli', 'local'])('%s/ imports nothing from test/', (dir) => {
    const offenders = files(dir).filter(
      (path) => /\.(ts|mjs)$/.test(path) && /from '(\.\.\/)+test\//.test(readFileSync(join(REPO, path), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
