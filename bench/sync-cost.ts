/**
 * What the 15-minute sync schedule costs: `node --import tsx bench/sync-cost.ts` (npm run
 * bench:sync). Runs the real rotator's `{"action":"sync"}` in process against the local AWS
 * stand-ins and the Amani simulator on 127.0.0.1, warm (one container) and cold (a new container,
 * clients and Amani login each run), interleaved with a floor: the same four calls (two secret reads, login,
 * GET token) made directly, without the rotator. Prints per-sync time, CPU and calls, the
 * rotator's overhead as a ratio to the floor measured in the same run, and the monthly bill at
 * the prices of bench/cost.ts with stated assumptions for what a loopback run cannot measure
 * (round trips to Amani and Secrets Manager, INIT). CPU is the whole process's, stand-ins
 * included: an upper bound for the rotator's own.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAmaniClient } from '../lambda/adapters/amani-client';
import { clientOptions } from '../lambda/adapters/aws-clients';
import { buildRotator, createRotatorClients } from '../lambda/rotator/build-rotator';
import { loadRotatorConfig, toRotatorEnvironment } from '../lambda/rotator/env';
import { startAmaniSimulator } from '../local/amani-simulator';
import { EMULATOR_REGION, startAwsEmulator } from '../local/aws-emulator';
import { invokeLocally, localAwsEnvironment } from '../local/local-stack';
import { tolerateClosedOutput } from '../local/closed-output';
import { PRICES } from './cost';
import { median, percentile, seededRandom, shuffled } from './stats';

const RUNS = 200;
const RUNS_PER_MONTH = (30 * 24 * 60) / 15;
const MEMORY_MB = 256; // ROTATOR memory (infra/constructs/token-rotation.ts)
const FULL_VCPU_MB = 1769;
/** Not measurable here (loopback): assumed waits per sync in Lambda. */
const ASSUMED = {
  secretsManagerRoundTripMs: 15,
  amaniRoundTripMs: 150,
  /** A new TLS connection to Amani per cold container (login, then GET reuses it). */
  amaniTlsHandshakeMs: 100,
  /**
   * The rotator's INIT at 256 MB: the receiver's measured cold start (docs/cost.md, ~133 ms on
   * one core here) scaled to 256 MB's vCPU share (0.145), rounded up. With 15 minutes between
   * runs, assume every run is cold.
   */
  initMs: 1000,
  coldShare: 1,
  logBytesPerRun: 2000,
  kmsPer10kRequests: 0.03,
  schedulerPerMillion: 1.0,
};

async function main() {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const aws = await startAwsEmulator();
  Object.assign(process.env, localAwsEnvironment(aws.endpoint, EMULATOR_REGION));
  const user = { username: 'bench@example.com', password: 'bench-password' };
  const amani = await startAmaniSimulator({ users: [user], initialToken: 'bench-initial-token-0123456789' });
  aws.putSecret('token', JSON.stringify({ token: 'bench-initial-token-0123456789', rotatedAt: new Date().toISOString() }));
  aws.putSecret('credentials', JSON.stringify(user));
  const env = toRotatorEnvironment({
    tokenSecretId: 'token',
    credentialsSecretId: 'credentials',
    amaniBaseUrl: amani.url,
    observability: { metricsNamespace: 'bench', logLevel: 'ERROR' },
  });
  const container = () => buildRotator(loadRotatorConfig(env), createRotatorClients());

  interface Samples {
    wall: number[];
    cpu: number[];
  }
  const timed = async (samples: Samples, once: () => Promise<unknown>) => {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await once();
    samples.wall.push(Number(process.hrtime.bigint() - started) / 1e6);
    const used = process.cpuUsage(cpuBefore);
    samples.cpu.push((used.user + used.system) / 1000);
  };
  const figures = (samples: Samples) => ({
    wallMs: median(samples.wall),
    wallP95Ms: percentile(samples.wall, 95),
    cpuMs: median(samples.cpu),
  });

  // Floor: the four calls a sync cannot avoid, made directly on a warm SDK client (the rotator too
  // logs in to Amani on every run: its credentials are read each time).
  const sm = new SecretsManagerClient(clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 3000, maxAttempts: 1 }));
  const floor = async () => {
    await sm.send(new GetSecretValueCommand({ SecretId: 'credentials' }));
    await sm.send(new GetSecretValueCommand({ SecretId: 'token' }));
    await createAmaniClient({ baseUrl: amani.url, credentials: user }).getWebhookToken();
  };
  const warmHandler = container();
  const warmSync = () => invokeLocally(warmHandler, { action: 'sync' }, 'rotator');
  const coldSync = () => invokeLocally(container(), { action: 'sync' }, 'rotator');

  // Interleaved in a seeded order, so drift (JIT warm-up, a busy neighbour) hits all three alike.
  const random = seededRandom(11);
  const warmUp: Samples = { wall: [], cpu: [] };
  for (let run = 0; run < 30; run++) for (const once of [floor, warmSync, coldSync]) await timed(warmUp, once);
  const afterWarmUp = { ...aws.calls };
  const amaniAfterWarmUp = amani.requests.length;
  const samples = {
    floor: { wall: [], cpu: [] } as Samples,
    warm: { wall: [], cpu: [] } as Samples,
    cold: { wall: [], cpu: [] } as Samples,
  };
  const plan = shuffled(
    [...Array(RUNS).fill('floor'), ...Array(RUNS).fill('warm'), ...Array(RUNS).fill('cold')] as Array<keyof typeof samples>,
    random,
  );
  for (const kind of plan) await timed(samples[kind], kind === 'floor' ? floor : kind === 'warm' ? warmSync : coldSync);
  const floorFigures = figures(samples.floor);
  const warm = figures(samples.warm);
  const cold = figures(samples.cold);
  // The floor makes the same calls as a sync: subtract its share.
  const syncRuns = 2 * RUNS;
  const perRun = (operation: string) =>
    ((aws.calls[operation] ?? 0) - (afterWarmUp[operation] ?? 0) - (operation === 'GetSecretValue' ? 2 * RUNS : 0)) / syncRuns;
  const amaniPerRun = (amani.requests.length - amaniAfterWarmUp - 2 * RUNS) / syncRuns;

  const vcpuShare = MEMORY_MB / FULL_VCPU_MB;
  const billedMs =
    ASSUMED.coldShare * ASSUMED.initMs +
    cold.cpuMs / vcpuShare +
    2 * ASSUMED.secretsManagerRoundTripMs +
    2 * ASSUMED.amaniRoundTripMs +
    ASSUMED.coldShare * ASSUMED.amaniTlsHandshakeMs;
  const gbSeconds = RUNS_PER_MONTH * (MEMORY_MB / 1024) * (billedMs / 1000);
  const secretCalls = RUNS_PER_MONTH * perRun('GetSecretValue');
  const bill = {
    lambdaDuration: gbSeconds * PRICES.lambdaArmPerGbSecond,
    lambdaRequests: (RUNS_PER_MONTH / 1e6) * PRICES.lambdaRequestsPerMillion,
    secretsManager: (secretCalls / 10_000) * PRICES.secretsManagerPer10kCalls,
    kms: (secretCalls / 10_000) * ASSUMED.kmsPer10kRequests,
    logs: ((RUNS_PER_MONTH * ASSUMED.logBytesPerRun) / 1e9) * PRICES.cloudWatchLogsIngestPerGb,
    scheduler: (RUNS_PER_MONTH / 1e6) * ASSUMED.schedulerPerMillion,
  };
  const total = Object.values(bill).reduce((sum, value) => sum + value, 0);
  const usd = (value: number) => `$${value.toFixed(4)}`;

  const lines = [
    `# Sync schedule cost (${new Date().toISOString().slice(0, 10)}, Node ${process.version}, loopback stand-ins)`,
    '',
    `| per sync | wall median (p95) | CPU median | vs floor |`,
    `| --- | ---: | ---: | ---: |`,
    `| floor: 2 secret reads + login + GET, direct | ${floorFigures.wallMs.toFixed(2)} ms (${floorFigures.wallP95Ms.toFixed(2)}) | ${floorFigures.cpuMs.toFixed(2)} ms | 1.00x |`,
    `| rotator sync, warm container | ${warm.wallMs.toFixed(2)} ms (${warm.wallP95Ms.toFixed(2)}) | ${warm.cpuMs.toFixed(2)} ms | ${(warm.wallMs / floorFigures.wallMs).toFixed(2)}x |`,
    `| rotator sync, new container each run | ${cold.wallMs.toFixed(2)} ms (${cold.wallP95Ms.toFixed(2)}) | ${cold.cpuMs.toFixed(2)} ms | ${(cold.wallMs / floorFigures.wallMs).toFixed(2)}x |`,
    '',
    `Calls per sync (measured): Secrets Manager GetSecretValue ${perRun('GetSecretValue')}, PutSecretValue ${perRun('PutSecretValue')}; Amani ${amaniPerRun} (login + GET token).`,
    `Runs per 30-day month: ${RUNS_PER_MONTH}; Amani calls per month: ${RUNS_PER_MONTH * amaniPerRun}.`,
    '',
    `Billed per run (estimate): ${billedMs.toFixed(0)} ms at ${MEMORY_MB} MB = INIT ${ASSUMED.initMs} ms (assumed, every run cold) + CPU ${cold.cpuMs.toFixed(1)} ms / ${vcpuShare.toFixed(3)} vCPU + 2 x ${ASSUMED.secretsManagerRoundTripMs} ms Secrets Manager + 2 x ${ASSUMED.amaniRoundTripMs} ms Amani + ${ASSUMED.amaniTlsHandshakeMs} ms TLS (assumed).`,
    '',
    `| per month, one stage | USD |`,
    `| --- | ---: |`,
    `| Lambda duration (${gbSeconds.toFixed(0)} GB-s, arm64) | ${usd(bill.lambdaDuration)} |`,
    `| Lambda requests | ${usd(bill.lambdaRequests)} |`,
    `| Secrets Manager (${secretCalls} GetSecretValue) | ${usd(bill.secretsManager)} |`,
    `| KMS Decrypt behind those reads ($${ASSUMED.kmsPer10kRequests} per 10,000) | ${usd(bill.kms)} |`,
    `| CloudWatch Logs (~${ASSUMED.logBytesPerRun} B per run) | ${usd(bill.logs)} |`,
    `| EventBridge Scheduler (beyond its free tier) | ${usd(bill.scheduler)} |`,
    `| **total** | **${usd(total)}** |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await amani.close();
  await aws.close();
}

tolerateClosedOutput();
main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
