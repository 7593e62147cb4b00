/**
 * Cold-start proxy: a fresh `node` process imports a function's entry and serves its first
 * request against local fakes (the AWS emulator of local/aws-emulator.ts for Secrets Manager and
 * EventBridge, the Amani simulator for the rotator), reached over HTTP through AWS_ENDPOINT_URL
 * exactly like the real services. The fakes run in this (parent) process; each probe is a child.
 *
 * Per function: the bundle with the SDK bundled and the bundle with the SDK external (resolved
 * from node_modules, as the Lambda runtime resolves its own copy). The receiver runs as deployed,
 * deduplicating against dynalite (local/dynamodb.ts). Baselines in the same run: an empty `node`
 * process, and the receiver bundle built from COLD_START_BASELINE.commit with that commit's
 * bundling settings and environment (bench/bundle.ts `baselineSources`). Rounds interleave every
 * variant in a shuffled order; the first round is a discarded warm-up (page cache).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAmaniSimulator } from '../local/amani-simulator';
import { payloadOfSize, prepareDelivery } from '../local/amani-sender';
import { EMULATOR_REGION, startAwsEmulator } from '../local/aws-emulator';
import { createLedgerTable, startLocalDynamoDb } from '../local/dynamodb';
import { toReceiverEnvironment } from '../lambda/receiver/env';
import { toRotatorEnvironment } from '../lambda/rotator/env';
import { webhookEvent } from '../local/api-gateway-events';
import type { BundleResult } from './bundle';
import { median, seededRandom, shuffled } from './stats';

/**
 * The receiver bundle the cold-start bar is measured against: the code of the last bench run
 * recorded before the bar was set (docs/benchmarks.md of 2026-12-01 18:54 UTC), rebuilt here
 * and timed in the same rounds, so that the comparison does not depend on this machine's mood.
 */
export const COLD_START_BASELINE = { commit: 'a4abbb3', recorded: '2026-12-01 18:54 UTC' } as const;

/** What the rotation schedule sends (ROTATE_PAYLOAD in infra/constructs/token-rotation.ts). */
export const ROTATION_SCHEDULE_PAYLOAD = { action: 'rotate' } as const;

export interface ColdStartVariant {
  readonly id: string;
  readonly fn: 'receiver' | 'rotator' | 'baseline';
  readonly label: string;
  readonly args: readonly string[];
  readonly entry: string;
  readonly nodeOptions: string;
  /** The receiver's environment names the ledger table (as deployed); false for a bundle from before the ledger. */
  readonly withLedger?: boolean;
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
  /** The commit the baseline receiver bundle was built from; undefined when it could not be built. */
  readonly baselineCommit?: string;
  readonly baselineBundle?: BundleResult;
}

/** The receiver bundle of COLD_START_BASELINE, with the NODE_OPTIONS that commit's stack set. */
export interface BaselineBundle {
  readonly commit: string;
  readonly bundle: BundleResult;
  readonly nodeOptions: string;
}

const LEDGER_TABLE = 'amani-webhooks-bench-deliveries';
const SECRET_NAMES = { token: 'amani-webhooks/bench/token', credentials: 'amani-webhooks/bench/amani-api' };

export async function runColdStarts(options: {
  readonly repoRoot: string;
  readonly scratch: string;
  readonly bundles: readonly BundleResult[];
  readonly stackNodeOptions: string;
  readonly baseline?: BaselineBundle;
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
  // The delivery ledger, as deployed: the receiver claims and settles each delivery.
  const dynamodb = await startLocalDynamoDb();
  await createLedgerTable(dynamodb.endpoint, LEDGER_TABLE, EMULATOR_REGION);
  // A recent rotation: the scheduled run reads everything, finds it in sync and too young, and skips.
  aws.putSecret(SECRET_NAMES.token, JSON.stringify({ token: webhookToken, rotatedAt: new Date().toISOString() }));
  aws.putSecret(SECRET_NAMES.credentials, JSON.stringify(credentials));

  try {
    const payload = payloadOfSize('profile_update', 1024, 3);
    const events = {
      receiver: join(scratch, 'receiver-event.json'),
      rotator: join(scratch, 'rotator-event.json'),
    };
    // A new delivery for every probe: the ledger outlives the probes, and a copy of an earlier
    // delivery would be suppressed (no PutEvents) instead of published.
    let deliveries = 0;
    const nextReceiverEvent = () => {
      const delivery = prepareDelivery({
        payload: { ...payload, delivery_id: `bench-cold-start-${++deliveries}` },
        token: webhookToken,
        authMode: 'signature',
        wire: 'python',
      });
      writeFileSync(events.receiver, JSON.stringify(webhookEvent({ body: delivery.body, headers: delivery.headers })));
    };
    writeFileSync(events.rotator, JSON.stringify(ROTATION_SCHEDULE_PAYLOAD));

    const lambdaEnvironment = (fn: 'receiver' | 'rotator', memory: number, withLedger: boolean): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      // What Lambda sets, pointed at the fakes.
      AWS_REGION: EMULATOR_REGION,
      AWS_DEFAULT_REGION: EMULATOR_REGION,
      AWS_ACCESS_KEY_ID: 'AKIDBENCHCOLDSTART',
      AWS_SECRET_ACCESS_KEY: 'bench-only-secret',
      AWS_SESSION_TOKEN: 'bench-only-session',
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
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
            ...(withLedger ? { dedupTableName: LEDGER_TABLE } : {}),
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
    ];
    if (options.baseline) {
      variants.push({
        id: 'receiver-baseline',
        fn: 'receiver',
        label: `receiver: bundle built from ${options.baseline.commit} (the bar's baseline; no delivery ledger then)`,
        args: [],
        entry: options.baseline.bundle.file,
        nodeOptions: options.baseline.nodeOptions,
        withLedger: false,
      });
    }
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
        if (fn === 'receiver' && bundle.sdk === 'bundled' && options.baseline) {
          // Like for like with the baseline, which had no ledger: the same bundle, DEDUP_TABLE_NAME unset.
          variants.push({
            id: 'receiver-sdk-bundled-no-ledger',
            fn,
            label: 'receiver: bundle, SDK bundled, without the delivery ledger (DEDUP_TABLE_NAME unset)',
            args: [],
            entry: bundle.file,
            nodeOptions: options.stackNodeOptions,
            withLedger: false,
          });
        }
      }
    }

    const probe = (variant: ColdStartVariant): Promise<ColdStartSample> => {
      const fn = variant.fn === 'baseline' ? 'receiver' : variant.fn;
      const environment = {
        ...lambdaEnvironment(fn, fn === 'receiver' ? 512 : 256, variant.withLedger ?? true),
        ...(variant.nodeOptions ? { NODE_OPTIONS: variant.nodeOptions } : {}),
      };
      if (fn === 'receiver') nextReceiverEvent();
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
    return { rows, rounds: options.rounds, baselineCommit: options.baseline?.commit, baselineBundle: options.baseline?.bundle };
  } finally {
    await dynamodb.close();
    await aws.close();
    await amani.close();
  }
}
