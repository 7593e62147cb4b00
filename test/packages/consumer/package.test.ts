/**
 * The consumer package as a team installs it: `npm pack`, then the tarball installed into an
 * empty project (its peer zod from the npm registry or npm's cache), imported from ESM and from
 * CommonJS with Node alone, and type-checked by a consumer's TypeScript file against the shipped
 * declarations.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { productEvent } from '../../helpers/bus-events';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../../..');
const PACKAGE = join(REPO, 'packages/consumer');
let app: string;
let packedFiles: string[];

const SAMPLE = productEvent('profile_status_change', { event: 'profile_status_change', profile: { id: 'p-1', status: 'Approved' } });

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), 'amani-events-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: PACKAGE, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packedFiles = packed!.files.map((f) => f.path);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{"name": "consumer-probe", "private": true}\n');
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed!.filename)], {
    cwd: app,
    maxBuffer: 16 * 1024 * 1024,
  });
  writeFileSync(join(app, 'event.json'), JSON.stringify(SAMPLE));
}, 180_000);

async function node(file: string, source: string): Promise<string> {
  writeFileSync(join(app, file), source);
  const { stdout } = await run(process.execPath, [file], { cwd: app, env: { PATH: process.env.PATH ?? '' } });
  return stdout;
}

describe('the packed consumer package', () => {
  it('holds the build, the types and the schemas, not the sources; zod comes as its peer', () => {
    expect(packedFiles).toEqual(
      expect.arrayContaining(['dist/index.mjs', 'dist/index.cjs', 'schemas/profile_status_change.json', 'README.md']),
    );
    expect(packedFiles.some((f) => f.startsWith('dist/types/') && f.endsWith('index.d.ts'))).toBe(true);
    expect(packedFiles.some((f) => f.startsWith('src/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toBe(false);
    expect(existsSync(join(app, 'node_modules/zod/package.json'))).toBe(true);
  });

  it('imports from ESM and parses an event', async () => {
    const out = await node(
      'esm.mjs',
      `import { readFileSync } from 'node:fs';
import { parseAmaniEvent, amaniEventPattern, matchesEventPattern } from '@amani-webhooks/events';
const raw = JSON.parse(readFileSync('event.json', 'utf8'));
const event = parseAmaniEvent(raw, { events: ['profile_status_change'] });
const pattern = amaniEventPattern({ events: ['profile_status_change'], statuses: ['APPROVED'] });
console.log(JSON.stringify({ status: event.detail.data.profile.status, matches: matchesEventPattern(pattern, raw) }));`,
    );
    expect(JSON.parse(out)).toEqual({ status: 'Approved', matches: true });
  });

  it('requires from CommonJS, and ships the registry schemas as JSON', async () => {
    const out = await node(
      'cjs.cjs',
      `const { safeParseAmaniEvent, EVENT_CONTRACT_VERSION } = require('@amani-webhooks/events');
const schema = require('@amani-webhooks/events/schemas/profile_status_change.json');
const raw = require('./event.json');
const bad = safeParseAmaniEvent({ ...raw, detail: { ...raw.detail, metadata: { ...raw.detail.metadata, version: '2' } } });
console.log(JSON.stringify({ version: EVENT_CONTRACT_VERSION, ok: safeParseAmaniEvent(raw).success, bad: bad.success, title: schema.info.title }));`,
    );
    expect(JSON.parse(out)).toEqual({ version: '1', ok: true, bad: false, title: 'ProfileStatusChange' });
  });

  it("type-checks a consumer's code against the shipped declarations, and catches its mistakes", async () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, types: [] },
        include: ['consumer.ts'],
      }),
    );
    const tsc = join(dirname(require.resolve('typescript/package.json', { paths: [REPO] })), 'bin', 'tsc');
    const consumer = (mistake: string) => `import { parseAmaniEvent, amaniEventPattern, type AmaniEventOf } from '@amani-webhooks/events';
export function handle(raw: unknown): string | undefined {
  const event: AmaniEventOf<'profile_status_change'> = parseAmaniEvent(raw, { events: ['profile_status_change'] });
  const id: string = event.detail.metadata.deliveryId;
  const version: '1' = event.detail.metadata.version;
  amaniEventPattern({ events: ['profile_status_change'], statuses: ['APPROVED', 'Pending Review'] });
  ${mistake}
  return id + version + (event.detail.data.profile?.status ?? '');
}
`;
    writeFileSync(join(app, 'consumer.ts'), consumer(''));
    await expect(run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app })).resolves.toBeDefined();
    writeFileSync(join(app, 'consumer.ts'), consumer("const level: string = event.detail.data.profile?.level ?? 'x';"));
    const failed = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).catch((error: { stdout: string }) => error);
    expect((failed as { stdout: string }).stdout).toMatch(/consumer\.ts\(7,9\): error TS2322/);
    expect(readFileSync(join(app, 'node_modules/@amani-webhooks/events/package.json'), 'utf8')).toMatch(/"version": "1\.0\.0"/);
  });
});
