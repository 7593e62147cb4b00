/**
 * `npm run bench` (node --import tsx bench/run.ts [--quick] [--write]): measures a delivery
 * against the physical floor, a cold start, the secret cache and the cost, and prints the tables.
 * Exits 1 when a bar fails. Only with --write does it rewrite docs/benchmarks.md, docs/cost.md and
 * docs/benchmarks-hot-path.svg (tracked files: a smoke run must not change them). Not a test:
 * jest only collects test/**\/*.test.ts.
 */
import './env';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { busEntrySize, busEntryWithDetail, deliveryMetadata, detailFromBytes, sha256Hex } from '../lambda/core/delivery-event';
import { pythonJsonDumpsToBuffer } from '../lambda/core/python-json';
import { runAdversarial } from './adversarial';
import { runBreakdown } from './breakdown';
import { baselineSources, bundleFunction, readStackBundling, type BundleResult } from './bundle';
import { renderChart, type ChartSeries } from './chart';
import { COLD_START_BASELINE, runColdStarts, type BaselineBundle } from './cold-start';
import { DEFAULT_ASSUMPTIONS, stageCosts, type CostInput } from './cost';
import { costStages } from './fixed-cost';
import { benchReceiverConfig, runHotPath, type Prepared } from './hot-path';
import { tolerateClosedOutput } from '../local/closed-output';
import { evaluateBars, HOT_PATH_BARS, renderBenchmarks, renderConsole, renderCost, type BenchRun } from './report';
import { runSecretCache } from './secret-cache';

const TIME_LIMIT_SECONDS = 180;
const REPO_ROOT = resolve(__dirname, '..');
const SCRATCH = join(REPO_ROOT, 'bench', '.out');
const CHART_FILE = 'benchmarks-hot-path.svg';

const FUNCTIONS = [
  { name: 'receiver', entry: 'lambda/receiver/index.ts' },
  { name: 'rotator', entry: 'lambda/rotator/index.ts' },
] as const;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Files under `dir`, relative to it, skipping dot-directories (bench/.out holds scratch copies and a node_modules link). */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return entry.name.startsWith('.') ? [] : filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`);
    return entry.isFile() ? [`${prefix}${entry.name}`] : [];
  });
}

function jestIsolation(): { ok: boolean; detail: string } {
  const config = readFileSync(join(REPO_ROOT, 'jest.config.cjs'), 'utf8');
  const roots = /roots:\s*\[([^\]]*)\]/.exec(config)?.[1] ?? '';
  const rootsOnlyTest = roots !== '' && !roots.includes('bench');
  const benchTests = filesUnder(join(REPO_ROOT, 'bench')).filter((file) => /\.test\.[cm]?[jt]sx?$/.test(file));
  return {
    ok: rootsOnlyTest && benchTests.length === 0,
    detail: `jest roots ${rootsOnlyTest ? `[${roots.trim()}], not bench/` : 'include bench/'}; ${benchTests.length === 0 ? 'no *.test.* file under bench/' : `test files under bench/: ${benchTests.join(', ')}`}`,
  };
}

function receiverMemoryMb(): number {
  try {
    const match = /RECEIVER_MEMORY_MB\s*=\s*(\d+)/.exec(readFileSync(join(REPO_ROOT, 'infra/stack.ts'), 'utf8'));
    return match ? Number(match[1]) : DEFAULT_ASSUMPTIONS.memoryMb;
  } catch {
    return DEFAULT_ASSUMPTIONS.memoryMb;
  }
}

/** PutEvents entry size as the product computes it, for one of the timed bodies: its Detail carries what was signed. */
function entryBytes(prepared: Prepared, form: 'raw' | 'python-json'): number {
  const signed = form === 'raw' ? prepared.body : pythonJsonDumpsToBuffer(prepared.body);
  if (!signed) throw new Error('entry size: the body has no canonical form');
  const digest = sha256Hex(signed);
  const metadata = deliveryMetadata({
    deliveryId: digest,
    receivedAt: new Date().toISOString(),
    authMode: 'signature',
    signatureForm: form,
    tokenGeneration: 'current',
    bodySha256: sha256Hex(prepared.body),
    requestId: '2f8b1d0e-5c1a-4e0b-9a57-0d6b1d7a9e21',
  });
  const { detail } = detailFromBytes(metadata, signed);
  return busEntrySize(busEntryWithDetail({ source: 'amani', eventBusName: 'amani-webhooks-bench', detailType: 'profile_update', detail }));
}

/** The receiver bundle of COLD_START_BASELINE.commit, built with that commit's settings; undefined (bar fails) without its sources. */
async function baselineBundle(): Promise<BaselineBundle | undefined> {
  const { commit } = COLD_START_BASELINE;
  const sources = baselineSources(REPO_ROOT, commit, SCRATCH);
  if (!sources) {
    log(`baseline bundle: cannot read commit ${commit} from git (shallow clone?): the cold-start bar is not measured`);
    return undefined;
  }
  const settings = readStackBundling(sources);
  const bundle = await bundleFunction(sources, join(SCRATCH, `baseline-${commit}-bundles`), FUNCTIONS[0], 'bundled', settings);
  return { commit, bundle, nodeOptions: settings.nodeOptions };
}

const OPTIONS = ['--quick', '--write'];

async function main(): Promise<number> {
  const unknown = process.argv.slice(2).filter((arg) => !OPTIONS.includes(arg));
  if (unknown.length > 0) {
    process.stderr.write(`npm run bench: unknown option ${unknown.join(' ')} (known: ${OPTIONS.join(', ')})\n`);
    return 2;
  }
  const quick = process.argv.includes('--quick');
  const write = process.argv.includes('--write');
  const startedAt = new Date();
  const clock = performance.now();
  const phases: { name: string; seconds: number }[] = [];
  const phase = async <T>(name: string, action: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    log(`${name}...`);
    const result = await action();
    const seconds = (performance.now() - started) / 1000;
    phases.push({ name, seconds });
    log(`${name}: ${seconds.toFixed(1)} s`);
    return result;
  };
  const loadAverage = os.loadavg();
  mkdirSync(SCRATCH, { recursive: true });

  const scale = quick ? 0.2 : 1;
  const hotSettings = [
    // Twelve variants per size since the issue-14 bars: fewer samples each keep the bench under its time bar.
    { label: '1 KiB', bytes: 1024, samples: Math.round(1500 * scale), batch: 25 },
    { label: '16 KiB', bytes: 16 * 1024, samples: Math.round(750 * scale), batch: 10 },
    { label: '256 KiB', bytes: 256 * 1024, samples: Math.round(300 * scale), batch: 4 },
  ];
  const hot = await phase('hot path', () => runHotPath({ sizes: hotSettings, withLoggedVariant: true }));
  const breakdown = await phase('breakdown', () =>
    runBreakdown(
      hot.prepared.filter((p) => p.label !== '1 KiB'),
      (bytes) => Math.round((bytes > 100_000 ? 120 : 600) * scale) + 20,
    ),
  );
  const cache = await phase('secret cache', () => runSecretCache({ sequential: 10_000, concurrent: 100 }));
  const adversarial = await phase('adversarial bodies', () =>
    runAdversarial({ targetBytes: 256 * 1024, samples: Math.round(150 * scale) + 10, batch: 5 }),
  );

  const bundling = readStackBundling(REPO_ROOT);
  const bundles = await phase('bundling', async () => {
    const results: BundleResult[] = [];
    for (const fn of FUNCTIONS) {
      for (const sdk of ['bundled', 'external'] as const)
        results.push(await bundleFunction(REPO_ROOT, join(SCRATCH, 'bundles'), fn, sdk, bundling));
    }
    return results;
  });
  const baseline = await phase('baseline bundle', () => baselineBundle());
  const cold = await phase('cold starts', () =>
    runColdStarts({
      repoRoot: REPO_ROOT,
      scratch: join(SCRATCH, 'cold-start'),
      bundles,
      stackNodeOptions: bundling.nodeOptions,
      baseline,
      rounds: quick ? 3 : 15,
    }),
  );

  // Cost, from the measured figures.
  const assumptions = {
    ...DEFAULT_ASSUMPTIONS,
    memoryMb: receiverMemoryMb(),
    secretCacheTtlSeconds: benchReceiverConfig().secretCacheTtlMs / 1000,
  };
  const coldStartMs = cold.rows.find((row) => row.variant.id === `receiver-sdk-${bundling.stackSdk}`)?.total ?? Number.NaN;
  const costInputs: CostInput[] = [];
  for (const sizeCase of hot.cases) {
    const prepared = hot.prepared.find((p) => p.label === sizeCase.label) as (typeof hot.prepared)[number];
    const fullRaw = sizeCase.results['full-raw']?.median ?? Number.NaN;
    const logged = sizeCase.results['full-raw-logged']?.median ?? fullRaw;
    const loggingOverhead = Math.max(0, logged - fullRaw);
    const productLogBytes = hot.loggedBytesPerDelivery[sizeCase.label] ?? 0;
    costInputs.push({
      label: `${sizeCase.label}, raw match`,
      bodyBytes: sizeCase.rawBodyBytes,
      entryBytes: entryBytes(prepared.raw, 'raw'),
      cpuMs: logged,
      productLogBytes,
    });
    costInputs.push({
      label: `${sizeCase.label}, canonical form`,
      bodyBytes: sizeCase.compactBodyBytes,
      entryBytes: entryBytes(prepared.compact, 'python-json'),
      cpuMs: (sizeCase.results['full-canonical']?.median ?? Number.NaN) + loggingOverhead,
      productLogBytes,
    });
  }
  const stages = stageCosts(await phase('cost: synthesize the stages', async () => costStages()), costInputs, assumptions, coldStartMs);
  const costRows = stages[0]?.rows ?? [];

  // Chart.
  const seriesOf = (variant: keyof (typeof hot.cases)[number]['results'], bytesOf: 'rawBodyBytes' | 'compactBodyBytes', factor = 1) =>
    hot.cases
      .filter((c) => c.results[variant])
      .map((c) => ({ bytes: c[bytesOf], ms: (c.results[variant]?.median ?? Number.NaN) * factor }));
  const series: ChartSeries[] = [
    { label: 'floor (raw-match bodies)', color: '#111111', points: seriesOf('floor-raw', 'rawBodyBytes') },
    { label: 'naive receiver (raw match)', color: '#e69f00', points: seriesOf('naive-raw', 'rawBodyBytes') },
    {
      label: `${HOT_PATH_BARS.raw}x naive (raw-match bar)`,
      color: '#e69f00',
      dash: '6 4',
      reference: true,
      points: seriesOf('naive-raw', 'rawBodyBytes', HOT_PATH_BARS.raw),
    },
    { label: 'full handler without the ledger, raw match', color: '#0072b2', points: seriesOf('full-raw-no-dedup', 'rawBodyBytes') },
    { label: 'full handler as deployed, raw match', color: '#56b4e9', points: seriesOf('full-raw', 'rawBodyBytes') },
    {
      label: 'full handler without the ledger, canonical form',
      color: '#d55e00',
      points: seriesOf('full-canonical-no-dedup', 'compactBodyBytes'),
    },
  ];
  log('rendering the chart...');
  const chart = renderChart({
    title: 'Receiver hot path: median time per delivery vs body size',
    subtitle: `${startedAt.toISOString().slice(0, 10)}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version}; in process, no network`,
    series,
  });

  const durationSeconds = (performance.now() - clock) / 1000 + 1; // + writing the files
  const run: BenchRun = {
    startedAt,
    durationSeconds,
    phases,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown CPU',
      cores: os.cpus().length,
      memoryGiB: os.totalmem() / 1024 ** 3,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      loadAverage,
    },
    git: { commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown', dirty: git(['status', '--porcelain']) !== '' },
    quick,
    hot,
    hotSettings,
    breakdown,
    cache,
    adversarial,
    bundling,
    bundles,
    cold,
    cost: { assumptions, rows: costRows, coldStartMs, stages },
    chartFile: CHART_FILE,
    jestIsolation: jestIsolation(),
    timeLimitSeconds: TIME_LIMIT_SECONDS,
  };

  log('rendering the tables...');
  process.stdout.write(`${renderConsole(run)}\n`);
  process.stdout.write(`${renderCost(run)}\n`);
  if (write) {
    const docs = join(REPO_ROOT, 'docs');
    mkdirSync(docs, { recursive: true });
    writeFileSync(join(docs, CHART_FILE), chart);
    writeFileSync(join(docs, 'benchmarks.md'), renderBenchmarks(run));
    writeFileSync(join(docs, 'cost.md'), renderCost(run));
    // Laid out as the repository's formatter wants them, so that a --write leaves `npm test` clean.
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/biome'), ['format', '--write', 'docs/benchmarks.md', 'docs/cost.md'], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    });
    log(`wrote docs/benchmarks.md, docs/cost.md, docs/${CHART_FILE} in ${durationSeconds.toFixed(0)} s`);
  } else {
    log(`done in ${durationSeconds.toFixed(0)} s; docs not written (npm run bench -- --write updates them)`);
  }
  const failed = evaluateBars(run).filter((bar) => !bar.ok);
  if (failed.length === 0) return 0;
  log(`${failed.length} bar(s) failed: ${failed.map((bar) => `${bar.bar} (limit ${bar.limit}, measured ${bar.measured})`).join('; ')}`);
  return 1;
}

tolerateClosedOutput();
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
