/**
 * Load: the local mode (`startLocalStack`, in this process: the AWS fake with its files, the
 * Amani simulator, the real receiver behind the API Gateway stand-in) under LOAD_DELIVERIES
 * deliveries (default 300 in `npm test`; the full run is `LOAD_DELIVERIES=5000 npx jest
 * test/reliability/load`) at LOAD_CONCURRENCY (default 50), once with a healthy bus and once
 * with bus faults injected on the wire (throttling, 500s, partial failures, answers lost after
 * the event landed, an outage that forces the fallback queue, and SQS faults during it). 2% of
 * the deliveries are forged. "Amani" retries every 5xx or unanswered delivery.
 *
 * Checked: every authentic delivery ends 2xx; zero lost (each 2xx id is on the bus or in the
 * fallback queue with its body); no duplicate id beyond those explained by calls whose answer
 * was lost; no forged delivery accepted; after a redrive every id is on the bus once with the
 * same id; nothing secret or personal in the output. Throughput and latency are reported
 * (RELIABILITY_REPORT_DIR, and one line on stderr).
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redrive } from '../../cli/redrive';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { EventBridgePublisher } from '../../lambda/adapters/event-bus';
import { samplePayload } from '../../local/amani-sender';
import { LOCAL_NAMES, startLocalStack, type LocalStack } from '../../local/local-stack';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { percentile, sendAll, type LoadResult } from './support/amani-load';
import { CallLedger, FaultRouter, type Fault } from './support/aws-fake';
import { DeliveryLedger, sha256Hex, storedCopies } from './support/delivery-invariant';
import { forgedDelivery, signedDelivery, type Delivery } from './support/deliveries';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';

const DELIVERIES = Math.max(1, Number(process.env.LOAD_DELIVERIES ?? '300') || 300);
const CONCURRENCY = Math.max(1, Number(process.env.LOAD_CONCURRENCY ?? '50') || 50);
const TIMEOUT_MS = Math.max(120_000, DELIVERIES * 100);

type Scenario = 'healthy bus' | 'bus faults';

/** The bus faults, by PutEvents / SendMessage call number: deterministic, so every run sees the same mix. */
function busFaults(router: FaultRouter): void {
  let puts = 0;
  let sends = 0;
  const outage = { from: Math.floor(DELIVERIES * 0.3), to: Math.floor(DELIVERIES * 0.3) + Math.max(10, Math.floor(DELIVERIES * 0.08)) };
  router.before = (call): Fault | undefined => {
    if (call.operation === 'PutEvents') {
      puts++;
      if (puts >= outage.from && puts < outage.to) return { kind: 'access-denied' }; // an outage: every delivery goes to the fallback
      if (puts % 10 === 3) return { kind: 'throttle' };
      if (puts % 10 === 7) return { kind: 'partial' };
      if (puts % 25 === 11) return { kind: 'server-error' };
      if (puts % 50 === 19) return { kind: 'lost-answer' };
      return undefined;
    }
    if (call.operation === 'SendMessage') {
      sends++;
      if (sends % 7 === 2) return { kind: 'server-error' };
      if (sends % 11 === 5) return { kind: 'throttle' };
      if (sends % 40 === 9) return { kind: 'lost-answer' };
    }
    return undefined;
  };
}

interface Outcome {
  readonly scenario: Scenario;
  readonly result: LoadResult;
  readonly deliveries: readonly Delivery[];
  readonly ledger: DeliveryLedger;
  readonly calls: CallLedger;
  readonly stack: LocalStack;
  readonly dataDir: string;
}

const watch = new LeakWatch();
let output: CapturedOutput;
const outcomes = new Map<Scenario, Outcome>();
const summaries: Record<string, unknown>[] = [];

async function runScenario(scenario: Scenario): Promise<Outcome> {
  const dataDir = mkdtempSync(join(tmpdir(), 'amani-load-'));
  const stack = await startLocalStack({ dataDir, fresh: true });
  const router = new FaultRouter(stack.emulator);
  const calls = new CallLedger(router);
  const token = stack.amani.currentToken()!;
  watch.add('token', token);
  watch.add('access-token', ...stack.amani.sensitiveValues());
  const deliveries: Delivery[] = Array.from({ length: DELIVERIES }, (_, i) => {
    const payload = samplePayload(['profile_status_change', 'document_upload', 'profile_update', 'video_call_status_change'][i % 4]!, i);
    (payload.profile as Record<string, unknown>).id_card_number = watch.sentinel(`id${i}`);
    return i % 50 === 25
      ? forgedDelivery(watch, payload)
      : signedDelivery(watch, payload, token, { wire: i % 3 === 0 ? 'compact' : 'python' });
  });
  if (scenario === 'bus faults') busFaults(router);
  const ledger = new DeliveryLedger();
  const result = await sendAll(stack.runtime.receiverUrl, deliveries, {
    concurrency: CONCURRENCY,
    onAnswer: (answer, delivery) => {
      watch.addText(answer.body);
      ledger.record(
        { label: `${scenario} #${answer.index} attempt ${answer.attempt}`, body: delivery.body, forged: delivery.forged },
        answer,
      );
    },
  });
  router.before = undefined;
  return { scenario, result, deliveries, ledger, calls, stack, dataDir };
}

function summary(outcome: Outcome) {
  const { result, deliveries } = outcome;
  const ok = result.answers.filter((a) => a.status >= 200 && a.status < 300);
  const refused = result.answers.filter((a) => a.status === 401);
  const okMs = ok.map((a) => a.ms);
  const refusedMs = refused.map((a) => a.ms);
  const statuses: Record<number, number> = {};
  for (const answer of result.answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  const copies = storedCopies(outcome.stack.emulator, { bus: LOCAL_NAMES.eventBus, queue: LOCAL_NAMES.fallbackQueue });
  return {
    scenario: outcome.scenario,
    deliveries: deliveries.length,
    forged: deliveries.filter((d) => d.forged).length,
    concurrency: CONCURRENCY,
    requests: result.answers.length,
    retriesAfter5xx: result.answers.length - deliveries.length,
    statuses,
    elapsedMs: result.elapsedMs,
    deliveriesPerSecond: Math.round((deliveries.length / result.elapsedMs) * 1000 * 10) / 10,
    latencyMs2xx: {
      p50: percentile(okMs, 50),
      p95: percentile(okMs, 95),
      p99: percentile(okMs, 99),
      max: percentile(okMs, 100),
    },
    // Forged deliveries wait for the next allowed secret refresh (1 s in the local mode) before their 401.
    latencyMs401: {
      p50: percentile(refusedMs, 50),
      max: percentile(refusedMs, 100),
    },
    onBus: copies.filter((c) => c.where === 'bus').length,
    parked: copies.filter((c) => c.where === 'queue').length,
    duplicateCopiesExplainedByLostAnswers: copies.length - new Set(copies.map((c) => c.deliveryId)).size,
  };
}

beforeAll(async () => {
  output = captureOutput();
  for (const scenario of ['healthy bus', 'bus faults'] as const) {
    const outcome = await runScenario(scenario);
    outcomes.set(scenario, outcome);
    summaries.push(summary(outcome));
  }
}, 2 * TIMEOUT_MS);

afterAll(async () => {
  output.restore();
  for (const outcome of outcomes.values()) {
    await outcome.stack.close();
    rmSync(outcome.dataDir, { recursive: true, force: true });
  }
  writeReport(`load-${DELIVERIES}`, summaries);
  // The figures are for `npm run test:load` (which sets LOAD_DELIVERIES); `npm test` stays quiet.
  if (process.env.LOAD_DELIVERIES) for (const s of summaries) process.stderr.write(`load (${String(s.scenario)}): ${JSON.stringify(s)}\n`);
});

describe.each(['healthy bus', 'bus faults'] as const)(`load: ${DELIVERIES} deliveries at concurrency ${CONCURRENCY}, %s`, (scenario) => {
  it('answers every authentic delivery 2xx (after Amani retries) and every forged one 401', () => {
    const { result, deliveries } = outcomes.get(scenario)!;
    const finals = result.finals.map((answer, index) =>
      deliveries[index]!.forged
        ? `forged ${answer.status}`
        : answer.status >= 200 && answer.status < 300
          ? 'authentic 2xx'
          : `authentic ${answer.status}`,
    );
    const counts: Record<string, number> = {};
    for (const final of finals) counts[final] = (counts[final] ?? 0) + 1;
    expect(counts).toEqual({
      'authentic 2xx': deliveries.filter((d) => !d.forged).length,
      'forged 401': deliveries.filter((d) => d.forged).length,
    });
  });

  it('loses nothing and duplicates nothing beyond lost answers (delivery invariant)', () => {
    const { ledger, stack, calls } = outcomes.get(scenario)!;
    const copies = storedCopies(stack.emulator, { bus: LOCAL_NAMES.eventBus, queue: LOCAL_NAMES.fallbackQueue });
    expect(ledger.violations(copies, calls)).toEqual([]);
    if (scenario === 'healthy bus') {
      // No fault: exactly one event per authentic delivery, nothing parked, no retry needed.
      expect({ bus: copies.filter((c) => c.where === 'bus').length, queue: copies.filter((c) => c.where === 'queue').length }).toEqual({
        bus: DELIVERIES - ledger.records.filter((r) => r.sent.forged).length,
        queue: 0,
      });
    } else {
      expect(copies.filter((c) => c.where === 'queue').length).toBeGreaterThan(0);
    }
  });

  it('after a redrive of the fallback queue, every authentic delivery is on the bus under its own id', async () => {
    const { stack, deliveries, result } = outcomes.get(scenario)!;
    const endpoint = {
      endpoint: stack.emulator.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const sqs = new SQSClient({ ...clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 3 }), ...endpoint });
    const bus = new EventBridgePublisher(
      new EventBridgeClient({ ...clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 1 }), ...endpoint }),
      {
        maxAttempts: 5,
        baseDelayMs: 20,
        maxDelayMs: 200,
        attemptTimeoutMs: 5000,
      },
    );
    const report = await redrive(sqs, bus, {
      queueUrl: stack.runtime.fallbackQueueUrl,
      eventBusName: LOCAL_NAMES.eventBus,
      visibilityTimeoutSeconds: 30,
    });
    expect({ failed: report.failed, invalid: report.invalid, remaining: report.remaining }).toEqual({
      failed: 0,
      invalid: 0,
      remaining: 0,
    });
    const onBus = new Map<string, number>();
    for (const copy of storedCopies(stack.emulator, { bus: LOCAL_NAMES.eventBus }))
      onBus.set(copy.deliveryId, (onBus.get(copy.deliveryId) ?? 0) + 1);
    const missing = deliveries.filter((d, i) => !d.forged && !onBus.has(JSON.parse(result.finals[i]!.body).deliveryId as string));
    expect(missing).toHaveLength(0);
    // Replay safety: the id in the answer is the one on the bus, the hash of the signed form.
    for (const [index, delivery] of deliveries.entries()) {
      if (!delivery.forged)
        expect(JSON.parse(result.finals[index]!.body).deliveryId).toBe(sha256Hex(Buffer.from(delivery.signedText ?? delivery.body)));
    }
  });
});

describe('load: over both runs', () => {
  it('printed no token, signature or personal data', () => {
    expect(watch.size).toBeGreaterThan(DELIVERIES * 2);
    expect(output.logs().length).toBeGreaterThan(DELIVERIES);
    expect(hygieneProblems(output, watch)).toEqual([]);
  });
});
