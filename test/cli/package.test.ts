/**
 * The CLI as a user installs it: `npm pack`, then the tarball installed with `--omit=dev` into an
 * empty folder (dependencies from the npm registry, or npm's cache). It must run on Node alone
 * (no tsx, no TypeScript), against a local mode and against a deployed stage, and a command on a
 * deployed stage must not need the local mode's code at all.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalStack, type LocalStack } from '../../local/local-stack';

const run = promisify(execFile);
const REPO = resolve(__dirname, '../..');
/** Modules only the local target may load; the deployed path must not reach them. */
const LOCAL_ONLY = [
  'cli/targets/local.ts',
  'cli/tail/event-log.ts',
  'local/runtime.ts',
  'local/local-rotator.ts',
  'lambda/rotator/build-rotator.ts',
];
/** The stand-ins themselves: never part of the CLI. */
const NEVER = [
  'local/aws-emulator.ts',
  'local/aws-emulator-rules.ts',
  'local/amani-simulator.ts',
  'local/local-stack.ts',
  'local/api-gateway-bridge.ts',
];

let work: string;
let installed: string;
let stack: LocalStack;
let stateDir: string;

interface Metafile {
  outputs: Record<string, { imports: Array<{ path: string; kind: string }>; inputs: Record<string, unknown> }>;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'amani-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const app = join(work, 'app');
  await run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), '{"name": "probe", "private": true}\n');
  await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed!.filename)], {
    cwd: app,
    maxBuffer: 16 * 1024 * 1024,
  });
  installed = app;
  stateDir = mkdtempSync(join(tmpdir(), 'amani-package-state-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  stack = await startLocalStack({ dataDir: stateDir, fresh: true });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Runs the installed CLI with Node alone: nothing from this repository's node_modules on the path. */
async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(join(installed, 'node_modules/.bin/amani-webhooks'), args, {
      cwd: installed,
      env: { PATH: process.env.PATH ?? '', HOME: installed, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the packed CLI', () => {
  it('holds the build and the launcher only, and installs without dev dependencies', () => {
    const files = readFileSync(join(installed, 'node_modules/amani-webhooks/package.json'), 'utf8');
    expect(JSON.parse(files).bin).toEqual({ 'amani-webhooks': 'bin/amani-webhooks.mjs' });
    expect(existsSync(join(installed, 'node_modules/amani-webhooks/dist/cli/bin.mjs'))).toBe(true);
    expect(existsSync(join(installed, 'node_modules/amani-webhooks/cli'))).toBe(false);
    for (const dev of ['tsx', 'typescript', 'esbuild', 'aws-cdk-lib', 'jest'])
      expect(existsSync(join(installed, 'node_modules', dev))).toBe(false);
  });

  it('runs --help and a command against a local mode', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npx amani-webhooks <command> \[options\]/);
    const sent = await cli(['send', 'profile_create', '--data-dir', stateDir, '--json']);
    expect(sent.code).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ ok: true, status: 200 });
    const status = await cli(['status', '--data-dir', stateDir, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, inSyncWithAmani: true });
    const rotated = await cli(['rotate', '--force', '--data-dir', stateDir, '--json']);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/^\{/); // nothing but the JSON document: the in-process rotator's logs stay out
    expect(JSON.parse(rotated.stdout)).toMatchObject({ ok: true, outcome: 'rotated' });
  });

  it('a closed stdout (a pasted pipeline) is no crash: the delivery is sent, exit 0, no stack trace', async () => {
    const before = stack.emulator.events().length;
    const bin = join(installed, 'node_modules/.bin/amani-webhooks');
    const { stdout, stderr } = await run(
      'bash',
      ['-c', `"${bin}" send document_upload --data-dir "${stateDir}" | true; echo "exit=\${PIPESTATUS[0]}"`],
      {
        env: { PATH: process.env.PATH ?? '', HOME: installed },
      },
    );
    expect(stdout).toBe('exit=0\n');
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(stack.emulator.events().length).toBe(before + 1);
  });

  it("on a deployed stage, the local mode's code is never imported: the static graph lacks it, and deleting it changes nothing", async () => {
    const meta = JSON.parse(readFileSync(join(REPO, 'dist/cli.meta.json'), 'utf8')) as Metafile;
    const staticInputs = new Set<string>();
    const seen = new Set<string>();
    const visit = (output: string) => {
      if (seen.has(output)) return;
      seen.add(output);
      for (const input of Object.keys(meta.outputs[output]!.inputs)) staticInputs.add(input);
      for (const imported of meta.outputs[output]!.imports)
        if (imported.kind === 'import-statement' && meta.outputs[imported.path]) visit(imported.path);
    };
    visit('dist/cli/bin.mjs');
    expect(staticInputs.has('cli/main.ts')).toBe(true);
    for (const input of [...LOCAL_ONLY, ...NEVER]) expect(staticInputs.has(input)).toBe(false);
    const allInputs = new Set(Object.values(meta.outputs).flatMap((output) => Object.keys(output.inputs)));
    for (const input of NEVER) expect(allInputs.has(input)).toBe(false);

    // Remove every chunk holding local-only code from the installed package, then use a deployed stage.
    const localChunks = Object.entries(meta.outputs)
      .filter(([, output]) => LOCAL_ONLY.some((input) => input in output.inputs))
      .map(([path]) => path);
    expect(localChunks.length).toBeGreaterThan(0);
    for (const chunk of localChunks) rmSync(join(installed, 'node_modules/amani-webhooks', chunk));
    const cloudFormation = await stubCloudFormation();
    try {
      const result = await cli(['status', '--stage', 'nope', '--region', 'eu-west-1'], {
        AWS_ENDPOINT_URL: cloudFormation.url,
        AWS_ACCESS_KEY_ID: 'probe',
        AWS_SECRET_ACCESS_KEY: 'probe',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      expect(result.stderr).toMatch(
        /^Stack AmaniWebhooks-nope does not exist in eu-west-1\. Deploy it with `npx cdk deploy -c stage=nope`\.\n$/,
      );
      expect(result.code).toBe(3);
      expect(cloudFormation.requests).toBe(1);
      // The local target needs what was removed: proof the removal was real.
      expect((await cli(['status', '--data-dir', stateDir])).code).not.toBe(0);
    } finally {
      await cloudFormation.close();
    }
  });
});

/** CloudFormation (query protocol) on 127.0.0.1, answering that no stack exists. */
async function stubCloudFormation(): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      state.requests++;
      response.writeHead(400, { 'content-type': 'text/xml' });
      response.end(
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code>' +
          '<Message>Stack with id AmaniWebhooks-nope does not exist</Message></Error><RequestId>probe</RequestId></ErrorResponse>',
      );
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
