/**
 * The one test that really bundles: local esbuild (no Docker), ESM output with the createRequire
 * banner. Each bundle is imported by a separate Node process with the environment its function
 * gets in the synthesized template (references resolved as a deployment would), and must
 * validate that environment at import and export a `handler` function.
 */
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ESM_REQUIRE_BANNER } from '../../infra/constructs/lambda-function';
import { captureOutput } from '../helpers/capture-output';
import { logicalId, resolvedEnvironment, resources, synthesize } from './stack-harness';

const outdir = mkdtempSync(path.join(tmpdir(), 'amani-cdk-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const FUNCTIONS = {
  ReceiverFunction: 'Receiver/Function',
  RotationRotatorFunction: 'Rotation/Rotator/Function',
  AmaniRegistrationHandlerFunction: 'AmaniRegistration/Handler/Function',
};

test('each function is bundled by local esbuild into an ESM index.mjs that validates its environment and exports handler', () => {
  // CDK announces each asset it bundles on stderr; esbuild itself stays silent unless it warns.
  const output = captureOutput();
  let synthesized: ReturnType<typeof synthesize>;
  try {
    synthesized = synthesize({}, { bundle: true, outdir });
  } finally {
    output.restore();
  }
  expect(output.lines).toEqual(Object.values(FUNCTIONS).map((construct) => `Bundling asset AmaniWebhooks-dev/${construct}/Code/Stage...`));
  const { template, stack } = synthesized;
  const all = resources(template);

  for (const prefix of Object.keys(FUNCTIONS)) {
    const id = logicalId(template, 'AWS::Lambda::Function', prefix);
    const assetHash = String((all[id]!.Properties!.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const bundle = path.join(outdir, `asset.${assetHash}`, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(false);
    expect(readFileSync(bundle, 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);

    const exported = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(`file://${bundle}`)}); console.log(typeof m.handler);`],
      {
        encoding: 'utf8',
        // The function's own environment (as deployed), plus what Lambda provides.
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          ...resolvedEnvironment(template, id, stack.stackName),
        },
      },
    );
    expect({ prefix, handler: exported.trim() }).toEqual({ prefix, handler: 'function' });
  }
});
