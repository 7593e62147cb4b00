/**
 * The one test that really bundles: local esbuild (no Docker), ESM output with the createRequire
 * banner. Each bundle is imported by a separate Node process, with the environment its function
 * gets, and must export a `handler` function.
 */
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ESM_REQUIRE_BANNER } from '../../infra/constructs/lambda-function';
import { logicalId, resources, synthesize } from './stack-harness';

const outdir = mkdtempSync(path.join(tmpdir(), 'amani-cdk-bundle-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const STACK = { STACK_NAME: 'AmaniWebhooks-dev', STACK_ID: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-dev/1' };

/** Environments as the stack sets them, with CloudFormation references replaced by sample values. */
const ENVIRONMENTS: Record<string, Record<string, string>> = {
  ReceiverFunction: {
    TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf',
    EVENT_BUS_NAME: 'amani-webhooks-dev',
    FALLBACK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fallback',
  },
  RotationRotatorFunction: {
    TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf',
    CREDENTIALS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:credentials-AbCdEf',
    ...STACK,
  },
  AmaniRegistrationHandlerFunction: {
    CREDENTIALS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:credentials-AbCdEf',
    ROTATOR_FUNCTION_NAME: 'rotator',
    WEBHOOK_URL: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/webhook',
    ...STACK,
  },
};

test('each function is bundled by local esbuild into an ESM index.mjs that exports handler', () => {
  const { template } = synthesize({}, { bundle: true, outdir });
  const all = resources(template);

  for (const [prefix, references] of Object.entries(ENVIRONMENTS)) {
    const fn = all[logicalId(template, 'AWS::Lambda::Function', prefix)]!.Properties!;
    const assetHash = String((fn.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const bundle = path.join(outdir, `asset.${assetHash}`, 'index.mjs');
    expect(existsSync(bundle)).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(readFileSync(bundle, 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);

    const literal = Object.fromEntries(
      Object.entries((fn.Environment as { Variables: Record<string, unknown> }).Variables).filter(([, value]) => typeof value === 'string'),
    ) as Record<string, string>;
    const exported = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(`file://${bundle}`)}); console.log(typeof m.handler);`],
      {
        encoding: 'utf8',
        // The function's own environment (as deployed), plus what Lambda provides.
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...literal, ...references },
      },
    );
    expect({ prefix, handler: exported.trim() }).toEqual({ prefix, handler: 'function' });
  }
});
