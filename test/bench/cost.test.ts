/**
 * The cost model (bench/cost.ts), the resource counts it is fed from synthesized stacks
 * (bench/fixed-cost.ts) and the document rendered from them (bench/cost-report.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CostInput,
  costPerMillion,
  DEFAULT_ASSUMPTIONS,
  fixedMonthly,
  monthlyTotal,
  PRICES,
  type StageResources,
  stageCosts,
  tieredCost,
} from '../../bench/cost';
import { renderCost } from '../../bench/cost-report';
import {
  COST_STAGES,
  countStageResources,
  customMetricCounts,
  EMITTED_METRICS,
  REJECTION_REASONS,
  runsPerMonth,
  synthesizeStage,
} from '../../bench/fixed-cost';
import { FAILURE_METRIC, OUTCOME_METRICS } from '../../lambda/registration/handler';
import { REPO_ROOT, resources, synthesize } from '../infra/stack-harness';

const PAGER = 'arn:aws:sns:eu-west-1:123456789012:pager';
const KIB = 1024;

const input = (overrides: Partial<CostInput> = {}): CostInput => ({
  label: '16 KiB, raw match',
  bodyBytes: 16 * KIB,
  entryBytes: 17 * KIB,
  cpuMs: 0.5,
  productLogBytes: 900,
  ...overrides,
});

const profile = (overrides: Partial<StageResources> = {}): StageResources => ({
  label: 'test',
  context: {},
  api: 'rest',
  kmsKeys: 1,
  secrets: 2,
  alarms: [{ name: 'a', metrics: 1 }],
  dashboards: 1,
  webAcls: 0,
  wafRules: 0,
  schedules: [{ name: 's', expression: 'rate(15 minutes)', runsPerMonth: 2880 }],
  hostedZones: 0,
  dnsRecords: 0,
  schemaRegistries: 1,
  schemas: 11,
  schemaDiscoverers: 0,
  ledgerTables: 1,
  ledgerPointInTimeRecovery: false,
  archives: 1,
  archiveRetentionDays: 30,
  logGroups: 5,
  receiverLogRetentionDays: 90,
  rotatorMemoryMb: 256,
  receiverMemoryMb: 512,
  secretCacheTtlSeconds: 60,
  dedupWindowHours: 168,
  customMetrics: { steady: 7, onEvent: 34 },
  ...overrides,
});

describe('fixed monthly cost, counted from the synthesized stack', () => {
  const prodContext = { stage: 'prod', alarmTopicArn: PAGER };
  const counted = countStageResources('prod', prodContext, synthesizeStage(prodContext));
  const withoutWaf = countStageResources('prod', { ...prodContext, waf: 'false' }, synthesizeStage({ ...prodContext, waf: 'false' }));

  it('counts what the template holds', () => {
    const all = Object.values(resources(synthesize(prodContext).template));
    const ofType = (type: string) => all.filter((resource) => resource.Type === type);
    expect(counted.kmsKeys).toBe(ofType('AWS::KMS::Key').length);
    expect(counted.secrets).toBe(ofType('AWS::SecretsManager::Secret').length);
    expect(counted.alarms).toHaveLength(ofType('AWS::CloudWatch::Alarm').length);
    expect(counted.dashboards).toBe(ofType('AWS::CloudWatch::Dashboard').length);
    expect(counted.webAcls).toBe(1);
    expect(counted.wafRules).toBe((ofType('AWS::WAFv2::WebACL')[0]!.Properties!.Rules as unknown[]).length);
    expect(counted.schedules.map((s) => s.expression).sort()).toEqual(
      ofType('AWS::Scheduler::Schedule')
        .map((s) => s.Properties?.ScheduleExpression)
        .sort(),
    );
    expect(counted.ledgerPointInTimeRecovery).toBe(true);
    expect(counted.api).toBe('rest');
    // The metric-math alarm bills each metric it reads.
    expect(counted.alarms.reduce((sum, alarm) => sum + alarm.metrics, 0)).toBe(counted.alarms.length + 1);
  });

  it('adding the web ACL adds exactly its ACL and rules to the fixed bill, and its request charge per delivery', () => {
    expect(withoutWaf.webAcls).toBe(0);
    const withAcl = fixedMonthly(counted, DEFAULT_ASSUMPTIONS);
    const without = fixedMonthly(withoutWaf, DEFAULT_ASSUMPTIONS);
    expect(withAcl.total - without.total).toBeCloseTo(PRICES.wafWebAclPerMonth + counted.wafRules * PRICES.wafRulePerMonth, 10);
    expect(counted.wafRules).toBe(2);
    const row = (stage: StageResources) => costPerMillion(input(), DEFAULT_ASSUMPTIONS, 100, stage);
    expect(row(counted).total - row(withoutWaf).total).toBeCloseTo(PRICES.wafPerMillionRequests, 10);
  });

  it('the dev stage has no web ACL and no point-in-time recovery; the HTTP stage no web ACL', () => {
    const dev = countStageResources('dev', {}, synthesizeStage({}));
    expect([dev.webAcls, dev.ledgerPointInTimeRecovery, dev.api]).toEqual([0, false, 'rest']);
    const http = countStageResources('http', COST_STAGES[1]!.context, synthesizeStage(COST_STAGES[1]!.context));
    expect([http.api, http.webAcls]).toEqual(['http', 0]);
  });

  it('reads the schedules as runs per month', () => {
    expect(runsPerMonth('rate(15 minutes)')).toBe(2880);
    expect(runsPerMonth('rate(30 days)')).toBe(1);
    expect(() => runsPerMonth('every day')).toThrow(/schedule every day/);
  });
});

describe('custom metrics catalogue', () => {
  it('names exactly the metrics the functions emit, each metric x dimension set once', () => {
    const emitted = new Set<string>(['ColdStart']); // Powertools' captureColdStartMetric
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(REPO_ROOT, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts'))
          for (const m of readFileSync(join(REPO_ROOT, path), 'utf8').matchAll(/addMetric\('([A-Za-z]+)'/g)) emitted.add(m[1]!);
      }
    };
    walk('lambda');
    for (const name of [...Object.values(OUTCOME_METRICS), FAILURE_METRIC]) emitted.add(name);
    expect([...new Set(EMITTED_METRICS.map((metric) => metric.name))].sort()).toEqual([...emitted].sort());
    const keys = EMITTED_METRICS.map((metric) => `${metric.service}/${metric.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(EMITTED_METRICS.find((metric) => metric.name === 'DeliveryRejected')?.dimensions).toBe(REJECTION_REASONS.length);
    expect(customMetricCounts()).toEqual({ steady: 7, onEvent: 34 });
  });
});

describe('per-delivery cost', () => {
  it('meters HTTP API requests per started 512 KB, REST requests one each', () => {
    const http = (bodyBytes: number) => costPerMillion(input({ bodyBytes }), DEFAULT_ASSUMPTIONS, 100, profile({ api: 'http' }));
    expect(http(512 * KIB).apiRequestsPerDelivery).toBe(1);
    expect(http(512 * KIB + 1).apiRequestsPerDelivery).toBe(2);
    expect(http(512 * KIB + 1).lines.apiGateway).toBe(2);
    expect(http(0).apiRequestsPerDelivery).toBe(1);
    const rest = costPerMillion(input({ bodyBytes: 1024 * KIB }), DEFAULT_ASSUMPTIONS, 100, profile());
    expect([rest.apiRequestsPerDelivery, rest.lines.apiGateway]).toEqual([1, 3.5]);
  });

  it('bills EventBridge per started 64 KB of event, envelope included', () => {
    const chunks = (entryBytes: number) => costPerMillion(input({ entryBytes }), DEFAULT_ASSUMPTIONS, 100, profile()).eventBridgeChunks;
    const envelope = DEFAULT_ASSUMPTIONS.eventEnvelopeBytes;
    expect(chunks(64 * KIB - envelope)).toBe(1);
    expect(chunks(64 * KIB - envelope + 1)).toBe(2);
    expect(chunks(256 * KIB)).toBe(5);
  });

  it('archives every event: per GB archived plus storage for the retention', () => {
    const entryBytes = 1e3 - DEFAULT_ASSUMPTIONS.eventEnvelopeBytes; // 1 GB per million deliveries
    const archive = (archiveRetentionDays: number, archives = 1) =>
      costPerMillion(input({ entryBytes }), DEFAULT_ASSUMPTIONS, 100, profile({ archiveRetentionDays, archives })).lines.archive;
    expect(archive(30)).toBeCloseTo(0.1 + 0.023, 10);
    expect(archive(90)).toBeCloseTo(0.1 + 3 * 0.023, 10);
    expect(archive(30, 0)).toBe(0);
  });

  it('adds point-in-time recovery to the ledger storage only when the table has it', () => {
    const storage = (ledgerPointInTimeRecovery: boolean) =>
      costPerMillion(input(), DEFAULT_ASSUMPTIONS, 100, profile({ ledgerPointInTimeRecovery })).lines.ledgerStorage;
    expect(storage(true) / storage(false)).toBeCloseTo((0.25 + 0.2) / 0.25, 10);
  });
});

describe('monthly totals', () => {
  const fixed = fixedMonthly(profile(), DEFAULT_ASSUMPTIONS);
  const rest = costPerMillion(input(), DEFAULT_ASSUMPTIONS, 100, profile());
  const http = costPerMillion(input(), DEFAULT_ASSUMPTIONS, 100, profile({ api: 'http' }));

  it('applies API Gateway tiers only where the volume crosses one', () => {
    expect(tieredCost(100_000_000, PRICES.apiGatewayRestTiers)).toBeCloseTo(350, 10);
    expect(tieredCost(500_000_000, PRICES.apiGatewayRestTiers)).toBeCloseTo(333 * 3.5 + 167 * 2.8, 10);
    expect(tieredCost(400_000_000, PRICES.apiGatewayHttpTiers)).toBeCloseTo(300 + 100 * 0.9, 10);
    expect(tieredCost(0, PRICES.apiGatewayHttpTiers)).toBe(0);
  });

  it('is fixed + volume x the per-delivery cost, the API line tiered', () => {
    for (const row of [rest, http]) {
      expect(monthlyTotal(fixed, row, 1_000_000)).toBeCloseTo(fixed.total + row.total, 10);
      expect(monthlyTotal(fixed, row, 100_000_000)).toBeCloseTo(fixed.total + 100 * row.total, 8);
    }
    const other = rest.total - rest.lines.apiGateway;
    expect(monthlyTotal(fixed, rest, 500_000_000)).toBeCloseTo(fixed.total + 500 * other + 333 * 3.5 + 167 * 2.8, 8);
    expect(monthlyTotal(fixed, rest, 0)).toBe(fixed.total);
  });

  it('fixed: the rotator runs the schedules hold and the receiver refreshes once per TTL per warm container', () => {
    const refreshes = fixed.items.find((item) => item.item.startsWith('Receiver secret refreshes'));
    expect(refreshes?.count).toBe((30 * 86_400) / 60);
    expect(fixed.items.find((item) => item.item.startsWith('Scheduled rotator runs'))?.count).toBe(2880);
    expect(fixed.onEventMetricsCeiling).toBeCloseTo(34 * 0.3, 10);
  });
});

describe('docs/cost.md', () => {
  it('renders the totals for each volume and size, REST vs HTTP, and the fixed and per-million tables', () => {
    const stages = [
      { ...profile({ label: 'production, REST API + WAF', webAcls: 1, wafRules: 2, ledgerPointInTimeRecovery: true }) },
      { ...profile({ label: 'production, HTTP API', api: 'http', ledgerPointInTimeRecovery: true }) },
      { ...profile({ label: 'dev, REST API' }) },
    ];
    const inputs = ['1 KiB', '16 KiB', '256 KiB'].flatMap((size, index) =>
      ['raw match', 'canonical form'].map((form) =>
        input({ label: `${size}, ${form}`, bodyBytes: [1, 16, 256][index]! * KIB, entryBytes: [1, 16, 256][index]! * KIB * 1.2 }),
      ),
    );
    const costs = stageCosts(stages, inputs, DEFAULT_ASSUMPTIONS, 280);
    const doc = renderCost({
      cost: { assumptions: DEFAULT_ASSUMPTIONS, rows: costs[0]!.rows, coldStartMs: 280, stages: costs },
      startedAt: new Date('2026-12-01T00:00:00Z'),
      loggedBytesPerDelivery: { '1 KiB': 916, '16 KiB': 916, '256 KiB': 916 },
    });
    const totals = doc.split('## Monthly totals (USD)')[1]!.split('\n## ')[0]!;
    const rows = totals.split('\n').filter((line) => /^\| \d+(k|M) /.test(line));
    expect(rows).toHaveLength(9);
    const restTotal = monthlyTotal(costs[0]!.fixed, costs[0]!.rows[0]!, 1_000_000);
    expect(totals).toContain(`| 1M | 1 KiB | $${restTotal.toFixed(2)} |`);
    expect(doc).toContain('first 3 of the account free');
    expect(doc).toContain('## Fixed monthly, per stage (USD)');
    expect(doc).toContain('## Per million deliveries: production, HTTP API (USD)');
    for (const source of ['https://aws.amazon.com/api-gateway/pricing/', 'https://aws.amazon.com/waf/pricing/', '2026-12-01']) {
      expect(doc).toContain(source);
    }
  });
});
