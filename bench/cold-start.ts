/**
 * Cold-start proxy: a fresh `node` process imports a function's entry and serves its first
 * request against local fakes (the AWS emulator of local/aws-emulator.ts for Secrets Manager and
 * EventBridge, the Amani simulator for the rotator), reached over HTTP through AWS_ENDPOINT_URL
 * exactly like the real services. The fakes run in this (parent) process; each probe is a child.
 *
 * Per function: the bundle with the SDK bundled, the bundle with the SDK external (resolved from
 * node_modules, as the Lambda runtime resolves its own copy), the TypeScript sources under tsx,
 * and the bundled flavour without NODE_OPTIONS=--enable-source-maps. Baselines in the same run:
 * an empty `node` process, and an empty `node --import tsx` process. Rounds interleave every
 * variant in a shuffled order; the first round is a discarded warm-up (page cache, tsx cache).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAmaniSimulator } from '../local/amani-simulator';
import { payloadOfSize, prepareDelivery } from '../local/amani-sender';
import { EMULATOR_REGION, startAwsEmulator } from '../local/aws-emulator';
import { toReceiverEnvironment } from '../lambda/receiver/env';
import { toRotatorEnvironment } from '../lambda/rotator/env';
import { webhookEvent } from '../local/api-gateway-events';
import type { BundleResult } from './bundle';
import { median, seededRandom, shuffled } from './stats';

/** What the rotation schedule sends (ROTATE_PAYLOAD in infra/constructs/token-rotation.ts). */
export const ROTATION_SCHEDULE_PAYLOAD = { action: 'rotate' } as const;

export interface ColdStartVariant {
  readonly id: string;
  readonly fn: 'receiver' | 'rotator' | 'baseline';
  readonly label: string;
  readonly args: readonly string[];
  readonly entry: string;
  readonly nodeOptions: string;
}

export interface ColdStartSample {
  readonly boot: number;
  readonly import: number;
  readonly firstRequest: number;
  readonly total: number;
  readonly wall: number;
  readonly outcome: string;
  readonly nodeModulesFiles: number;
}

export interface ColdStartRow {
  readonly variant: ColdStartVariant;
  readonly runs: number;
  readonly boot: number;
  readonly import: number;
  readonly firstRequest: number;
  readonly total: number;
  readonly wall: number;
  readonly nodeModulesFiles: number;
  readonly outcomes: string[];
}

export interface ColdStartResult {
  readonly rows: ColdStartRow[];
  readonly rounds: number;
}

const SECRET_NAMES = { token: 'amani-webhooks/bench/token', credentials: 'amani-webhooks/bench/amani-api' };

export async function runColdStarts(options: {
  readonly repoRoot: string;
  readonly scratch: string;
  readonly bundles: readonly BundleResult[];
  readonly stackNodeOptions: string;
  readonly rounds: number;
}): Promise<ColdStartResult> {
  const { repoRoot, scratch } = options;
  mkdirSync(scratch, { recursive: true });
  const child = join(repoRoot, 'bench/cold-start-child.mjs');

  // The fakes: AWS (Secrets Manager, EventBridge, SQS) and Amani's management API.
  const webhookToken = 'bench-webhook-token-0123456789abcdef';
  const credentials = { username: 'bench-operator', password: 'bench-password-0123456789' };
  const amani = await startAmaniSimulator({ users: [credentials], initialToken: webhookToken });
  const aws = await startAwsEmulator();
  const fallbackQueueUrl = aws.createQueue('amani-webhooks-bench-fallback');
  // A recent rotation: the scheduled run reads everything, finds it in sync and too young, and skips.
  aws.putSecret(SECRET_NAMES.token, JSON.stringify({ token: webhookToken, rotatedAt: new Date().toISOString() }));
  aws.putSecret(SECRET_NAMES.credentials, JSON.stringify(credentials));

  try {
    const delivery = prepareDelivery({
      payload: payloadOfSize('profile_update', 1024, 3),
      token: webhookToken,
      authMode: 'signature',
      wire: 'python',
    });
    const events = {
      receiver: join(scratch, 'receiver-event.json'),
      rotator: join(scratch, 'rotator-event.json'),
    };
    writeFileSync(events.receiver, JSON.stringify(webhookEvent({ body: delivery.body, headers: delivery.headers })));
    writeFileSync(events.rotator, JSON.stringify(ROTATION_SCHEDULE_PAYLOAD));

    const lambdaEnvironment = (fn: 'receiver' | 'rotator', memory: number): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      // What Lambda sets, pointed at the fakes.
      AWS_REGION: EMULATOR_REGION,
      AWS_DEFAULT_REGION: EMULATOR_REGION,
      AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART',
      AWS_SECRET_ACCESS_KEY: 'bench-only-secret',
      AWS_SESSION_TOKEN: 'bench-only-session',
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: `amani-webhooks-${fn}-bench`,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memory),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The function's own environment, built as the stack builds it.
      ...(fn === 'receiver'
        ? toReceiverEnvironment({
            tokenSecretId: SECRET_NAMES.token,
            eventBusName: 'amani-webhooks-bench',
            fallbackQueueUrl,
            authMode: 'signature',
            observability: { serviceName: 'amani-webhooks-receiver', metricsNamespace: 'AmaniWebhooks', logLevel: 'INFO' },
          })
        : toRotatorEnvironment({
            tokenSecretId: SECRET_NAMES.token,
            credentialsSecretId: SECRET_NAMES.credentials,
            amaniBaseUrl: amani.url,
            amaniTimeoutMs: 5000,
            storeRetryBudgetMs: 20_000,
            observability: { serviceName: 'amani-webhooks-rotator', metricsNamespace: 'AmaniWebhooks', logLevel: 'INFO' },
          })),
    });

    const variants: ColdStartVariant[] = [
      { id: 'node', fn: 'baseline', label: 'baseline: empty node process', args: [], entry: '-', nodeOptions: options.stackNodeOptions },
      {
        id: 'node-tsx',
        fn: 'baseline',
        label: 'baseline: empty node --import tsx process',
        args: ['--import', 'tsx'],
        entry: '-',
        nodeOptions: options.stackNodeOptions,
      },
    ];
    for (const fn of ['receiver', 'rotator'] as const) {
      for (const bundle of options.bundles.filter((b) => b.fn === fn)) {
        variants.push({
          id: `${fn}-sdk-${bundle.sdk}`,
          fn,
          label: `${fn}: bundle, SDK ${bundle.sdk === 'bundled' ? 'bundled (bundleAwsSDK: true)' : 'external (runtime copy)'}`,
          args: [],
          entry: bundle.file,
          nodeOptions: options.stackNodeOptions,
        });
        if (bundle.sdk === 'bundled' && options.stackNodeOptions.includes('--enable-source-maps')) {
          variants.push({
            id: `${fn}-sdk-bundled-nosm`,
            fn,
            label: `${fn}: bundle, SDK bundled, without --enable-source-maps`,
            args: [],
            entry: bundle.file,
            nodeOptions: options.stackNodeOptions.replace('--enable-source-maps', '').trim(),
          });
        }
      }
      variants.push({
        id: `${fn}-tsx`,
        fn,
        label: `${fn}: unbundled sources (node --import tsx)`,
        args: ['--import', 'tsx'],
        entry: join(repoRoot, `lambda/${fn}/index.ts`),
        nodeOptions: options.stackNodeOptions,
      });
    }

    const probe = (variant: ColdStartVariant): Promise<ColdStartSample> => {
      const fn = variant.fn === 'baseline' ? 'receiver' : variant.fn;
      const environment = {
        ...lambdaEnvironment(fn, fn === 'receiver' ? 512 : 256),
        ...(variant.nodeOptions ? { NODE_OPTIONS: variant.nodeOptions } : {}),
      };
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const process_ = spawn(process.execPath, [...variant.args, child, variant.entry, events[fn]], {
          cwd: repoRoot,
          env: environment,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        process_.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        process_.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        process_.on('error', reject);
        process_.on('close', (code) => {
          const wall = performance.now() - started;
          const line = /@@cold-start (.*)$/m.exec(stdout)?.[1];
          if (code !== 0 || !line) {
            reject(new Error(`${variant.id}: exit ${code}\n${stderr.slice(-2000)}\n${stdout.slice(-2000)}`));
            return;
          }
          resolve({ ...(JSON.parse(line) as Omit<ColdStartSample, 'wall'>), wall });
        });
      });
    };

    const random = seededRandom(7);
    const samples = new Map<string, ColdStartSample[]>(variants.map((variant) => [variant.id, []]));
    for (let round = 0; round <= options.rounds; round++) {
      for (const variant of shuffled(variants, random)) {
        const sample = await probe(variant);
        if (round > 0) (samples.get(variant.id) as ColdStartSample[]).push(sample);
      }
    }
    const rows = variants.map((variant) => {
      const list = samples.get(variant.id) as ColdStartSample[];
      const of = (pick: (sample: ColdStartSample) => number) => median(list.map(pick));
      return {
        variant,
        runs: list.length,
        boot: of((s) => s.boot),
        import: of((s) => s.import),
        firstRequest: of((s) => s.firstRequest),
        total: of((s) => s.total),
        wall: of((s) => s.wall),
        nodeModulesFiles: of((s) => s.nodeModulesFiles),
        outcomes: [...new Set(list.map((s) => s.outcome))],
      };
    });
    return { rows, rounds: options.rounds };
  } finally {
    await aws.close();
    await amani.close();
  }
}
