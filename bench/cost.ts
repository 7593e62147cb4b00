/**
 * What a stage costs, on paper: the fixed monthly bill of the resources a synthesized stack holds
 * (counted by bench/fixed-cost.ts) plus a per-delivery bill from measured figures (in-process time,
 * log bytes, event sizes, cold-start time) times public prices. Pure: no CDK, no I/O. Every price
 * is listed in PRICE_SOURCES with where it was read; docs/cost.md is rendered by bench/cost-report.ts.
 */

/** One step of a tiered monthly price: `perMillion` applies to the requests up to `upTo` (cumulative). */
export interface PriceTier {
  readonly upTo: number;
  readonly perMillion: number;
}

/** Public list prices, US East (N. Virginia), USD. */
export const PRICES = {
  region: 'us-east-1 (US East, N. Virginia)',
  checked: '2026-12-01',
  /** The last tier is open-ended here; AWS lists lower prices beyond 1 billion requests (not modelled: an overestimate there). */
  apiGatewayRestTiers: [
    { upTo: 333_000_000, perMillion: 3.5 },
    { upTo: Number.POSITIVE_INFINITY, perMillion: 2.8 },
  ] as readonly PriceTier[],
  /** The last tier is open-ended here; AWS lists a lower price beyond 1 billion requests (not modelled). */
  apiGatewayHttpTiers: [
    { upTo: 300_000_000, perMillion: 1.0 },
    { upTo: Number.POSITIVE_INFINITY, perMillion: 0.9 },
  ] as readonly PriceTier[],
  /** HTTP API requests are metered in 512 KB increments. */
  httpApiMeterBytes: 512 * 1024,
  wafWebAclPerMonth: 5,
  wafRulePerMonth: 1,
  wafPerMillionRequests: 0.6,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  eventBridgeCustomEventsPerMillion: 1.0,
  eventBridgeChunkBytes: 64 * 1024,
  eventBridgeArchivePerGb: 0.1,
  eventBridgeArchiveStoragePerGbMonth: 0.023,
  schedulerPerMillionInvocations: 1.0,
  dynamoDbWritePerMillionUnits: 0.625,
  dynamoDbReadPerMillionUnits: 0.125,
  dynamoDbStoragePerGbMonth: 0.25,
  dynamoDbPitrPerGbMonth: 0.2,
  secretsManagerPer10kCalls: 0.05,
  secretsManagerPerSecretMonth: 0.4,
  kmsPerKeyMonth: 1,
  kmsPer10kRequests: 0.03,
  cloudWatchLogsIngestPerGb: 0.5,
  cloudWatchLogsStoragePerGbMonth: 0.03,
  cloudWatchAlarmPerMetricMonth: 0.1,
  cloudWatchDashboardPerMonth: 3,
  cloudWatchCustomMetricPerMonth: 0.3,
  route53HostedZonePerMonth: 0.5,
};

export interface PriceSource {
  readonly item: string;
  readonly price: string;
  /** Where the figure was read, and whether that page showed it (verified) or it is carried over. */
  readonly source: string;
  readonly read: string;
}

const AWS = (service: string) => `https://aws.amazon.com/${service}/pricing/`;

export const PRICE_SOURCES: readonly PriceSource[] = [
  {
    item: 'API Gateway REST API requests',
    price: '$3.50 per million (first 333 million a month), $2.80 (next 667 million); lower beyond 1 billion',
    source: `${AWS('api-gateway')} ; verified against awsforengineers.com "AWS API Gateway Pricing Explained" (May 2025) and learnaws.org (REST $3.50 first 333M)`,
    read: '2026-12-01',
  },
  {
    item: 'API Gateway HTTP API requests',
    price: '$1.00 per million (first 300 million a month), $0.90 after; metered in 512 KB increments',
    source: `${AWS('api-gateway')} ; verified: learnaws.org table (us-east-1: $1.00 first 300M, $0.90 beyond), AWS whitepaper "Best Practices for Designing Amazon API Gateway Private APIs and Private Integration", Table 4 ("HTTP APIs are metered in 512 KB increments")`,
    read: '2026-12-01',
  },
  {
    item: 'AWS WAF',
    price: '$5.00 per web ACL per month, $1.00 per rule per month, $0.60 per million requests (prorated hourly; same in every region)',
    source: `${AWS('waf')} ; verified: c3x.dev "AWS WAF cost explained" and AWS Networking blog "Cost-effective ways for securing your web applications using AWS WAF" (consistent across regions, prorated hourly)`,
    read: '2026-12-01',
  },
  {
    item: 'Lambda requests',
    price: '$0.20 per million',
    source: `${AWS('lambda')} (as quoted by cloudchipr.com/blog/aws-lambda-pricing); carried over from the 2026-11-30 check, not re-read`,
    read: '2026-11-30',
  },
  {
    item: 'Lambda duration, arm64',
    price: '$0.0000133334 per GB-second (first 7.5 billion GB-s a month), billed per 1 ms; INIT billed too since 2025-08-01',
    source: `${AWS('lambda')} (as quoted by cloudchipr.com); INIT: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase ; carried over, not re-read`,
    read: '2026-11-30',
  },
  {
    item: 'EventBridge custom events (PutEvents)',
    price: '$1.00 per million events; each 64 KB chunk of an event is billed as one event',
    source: `${AWS('eventbridge')} ; verified: cloudburn.io "Amazon EventBridge Pricing" (March 2026, 64 KB chunking), AWS Knowledge Center "eventbridge-reduce-charges" (usage type Event-64K-Chunks)`,
    read: '2026-12-01',
  },
  {
    item: 'EventBridge archive',
    price: '$0.10 per GB archived (event processing), $0.023 per GB-month stored; replays $1.00 per million events replayed',
    source: `${AWS('eventbridge')} ; verified: cloudburn.io "Amazon EventBridge Pricing" (March 2026, us-east-1). factualminds.com (June 2026) quotes the archive as "$0.10/GB-month" without the storage line: the cloudburn split is used`,
    read: '2026-12-01',
  },
  {
    item: 'EventBridge Scheduler',
    price: '$1.00 per million invocations after 14 million free a month',
    source: `${AWS('eventbridge')} ; verified: cloudburn.io "Amazon EventBridge Pricing" (March 2026: $1.00/M, free tier 14M invocations a month)`,
    read: '2026-12-01',
  },
  {
    item: 'EventBridge Schema Registry',
    price: 'no charge for registries and uploaded schemas; schema discovery charged per event ingested (first 5 million a month free)',
    source:
      'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-schemas-infer.html (discovery "can incur a cost. The first five million processed events in each month are free"; not supported on a bus with a customer-managed key); cloudburn.io (discovery $1.00/M ingested). The stack uploads its schemas and runs no discovery',
    read: '2026-12-01',
  },
  {
    item: 'DynamoDB on demand (Standard table class)',
    price:
      '$0.625 per million write request units, $0.125 per million read request units; storage $0.25 per GB-month; point-in-time recovery $0.20 per GB-month',
    source: `https://aws.amazon.com/dynamodb/pricing/on-demand/ (unit definitions verified there); prices as quoted by airbyte.com "Amazon DynamoDB Pricing" (July 2025, after the November 2024 reduction); PITR $0.20/GB-month verified: finops.com.py "DynamoDB backups"`,
    read: '2026-12-01',
  },
  {
    item: 'Secrets Manager',
    price: '$0.40 per secret per month; $0.05 per 10,000 API calls',
    source: `${AWS('secrets-manager')} (as quoted by hivebook.wiki "AWS Secrets Manager"); carried over from the 2026-11-30 check, not re-read`,
    read: '2026-11-30',
  },
  {
    item: 'KMS',
    price: '$1.00 per customer-managed key per month (prorated hourly; +$1 per rotated key version); $0.03 per 10,000 requests',
    source: `${AWS('kms')} (read: "Each AWS KMS key that you create in KMS costs $1/month", rotation +$1 per backing key); $0.03/10k verified: wring.co "AWS KMS Pricing" (March 2026). EventBridge's own requests do not grow with the event volume: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-custom-bus-encryption.html`,
    read: '2026-12-01',
  },
  {
    item: 'CloudWatch alarms, dashboards, custom metrics',
    price:
      '$0.10 per standard-resolution alarm metric per month; $3.00 per dashboard per month (first 3 dashboards of an account free); $0.30 per custom metric per month (first 10,000, prorated hourly)',
    source: `${AWS('cloudwatch')} ; verified: c3x.dev "aws_cloudwatch_metric_alarm cost estimation" ($0.10 standard), factualminds.com "Amazon CloudWatch Pricing" (June 2026: dashboards $3 each); custom metric $0.30 and the free 3 dashboards as listed on the AWS page, not re-read here`,
    read: '2026-12-01',
  },
  {
    item: 'CloudWatch Logs (Standard class)',
    price: '$0.50 per GB ingested; $0.03 per GB-month stored',
    source: `${AWS('cloudwatch')} ; verified: c3x.dev "CloudWatch Logs cost optimization" (us-east-1, June 2026), hykell.com ($0.03/GB-month archival storage)`,
    read: '2026-12-01',
  },
  {
    item: 'Route 53 hosted zone',
    price: '$0.50 per hosted zone per month; alias queries to API Gateway free',
    source: `${AWS('route53')} ; not re-read here (figure as documented in docs/deployment.md). The stack creates no hosted zone: it adds a record to yours`,
    read: '2026-11-30',
  },
];

// ---------------------------------------------------------------------------------------------
// What a stage holds (counted from a synthesized template by bench/fixed-cost.ts)
// ---------------------------------------------------------------------------------------------

export type ApiType = 'rest' | 'http';

export interface StageResources {
  readonly label: string;
  /** The context the stage was synthesized with (beyond cdk.json). */
  readonly context: Readonly<Record<string, string>>;
  readonly api: ApiType;
  readonly kmsKeys: number;
  readonly secrets: number;
  /** Billed metrics per alarm (a metric-math alarm bills each metric it reads). */
  readonly alarms: readonly { readonly name: string; readonly metrics: number }[];
  readonly dashboards: number;
  readonly webAcls: number;
  readonly wafRules: number;
  /** Scheduler schedules (and EventBridge rules) with their runs per 30-day month. */
  readonly schedules: readonly { readonly name: string; readonly expression: string; readonly runsPerMonth: number }[];
  readonly hostedZones: number;
  readonly dnsRecords: number;
  readonly schemaRegistries: number;
  readonly schemas: number;
  readonly schemaDiscoverers: number;
  readonly ledgerTables: number;
  readonly ledgerPointInTimeRecovery: boolean;
  readonly archives: number;
  /** 0 keeps archived events forever. */
  readonly archiveRetentionDays: number;
  readonly logGroups: number;
  readonly receiverLogRetentionDays: number;
  readonly rotatorMemoryMb: number;
  readonly receiverMemoryMb: number;
  readonly secretCacheTtlSeconds: number;
  readonly dedupWindowHours: number;
  /** Metric name x dimension set the functions emit via EMF, from the catalogue in bench/fixed-cost.ts. */
  readonly customMetrics: { readonly steady: number; readonly onEvent: number };
}

// ---------------------------------------------------------------------------------------------
// Assumptions (what a loopback bench cannot measure)
// ---------------------------------------------------------------------------------------------

export interface CostAssumptions {
  readonly memoryMb: number;
  /** Memory at which Lambda gives one full vCPU. */
  readonly fullVcpuMb: number;
  /** PutEvents round trip inside the region (not measurable here: no AWS). */
  readonly putEventsRoundTripMs: number;
  /** START/END/REPORT lines Lambda itself writes per invocation. */
  readonly platformLogBytes: number;
  /** One API Gateway access-log line (the stack logs a custom JSON format). */
  readonly accessLogBytes: number;
  /** EventBridge adds its envelope (id, time, account, region, ...) around Detail. */
  readonly eventEnvelopeBytes: number;
  /** Share of deliveries that land on a new container. */
  readonly coldStartRate: number;
  /** Warm receiver containers kept through the month (each re-reads the secret once per TTL). */
  readonly warmContainers: number;
  readonly secretCacheTtlSeconds: number;
  /** Delivery ledger: DynamoDB calls per delivery (claim, settle) and their in-region round trip. */
  readonly ledgerCallsPerDelivery: number;
  readonly ledgerRoundTripMs: number;
  /** Write request units per delivery: the claim (item + index entry) and the settle (item). */
  readonly ledgerWriteUnitsPerDelivery: number;
  /** Ledger bytes per delivery as DynamoDB bills storage (item + index entry, 100 B overhead each). */
  readonly ledgerBytesPerDelivery: number;
  /** How long after its TTL DynamoDB actually deletes an expired item ("within a few days"). */
  readonly ledgerTtlLagHours: number;
  /** One scheduled rotator run: billed time, secret reads (each one KMS decrypt), log bytes (docs/reliability.md, npm run bench:sync). */
  readonly rotatorBilledMsPerRun: number;
  readonly rotatorSecretReadsPerRun: number;
  readonly rotatorLogBytesPerRun: number;
}

export const DEFAULT_ASSUMPTIONS: CostAssumptions = {
  memoryMb: 512,
  fullVcpuMb: 1769,
  putEventsRoundTripMs: 15,
  platformLogBytes: 330,
  accessLogBytes: 400,
  eventEnvelopeBytes: 300,
  coldStartRate: 0.01,
  warmContainers: 1,
  secretCacheTtlSeconds: 300,
  ledgerCallsPerDelivery: 2,
  ledgerRoundTripMs: 5,
  ledgerWriteUnitsPerDelivery: 3,
  ledgerBytesPerDelivery: 600,
  ledgerTtlLagHours: 48,
  rotatorBilledMsPerRun: 1500,
  rotatorSecretReadsPerRun: 2,
  rotatorLogBytesPerRun: 2000,
};

const MILLION = 1_000_000;
const HOURS_PER_MONTH = 730;
const DAYS_PER_MONTH = 30;
const SECONDS_PER_MONTH = DAYS_PER_MONTH * 86_400;

// ---------------------------------------------------------------------------------------------
// Fixed monthly
// ---------------------------------------------------------------------------------------------

export interface FixedItem {
  readonly item: string;
  readonly count: number;
  readonly unit: string;
  readonly monthly: number;
}

export interface FixedCost {
  readonly stage: StageResources;
  readonly items: readonly FixedItem[];
  readonly total: number;
  /** Custom metrics emitted only when something happens: billed only in the hours they are emitted, at most this. */
  readonly onEventMetricsCeiling: number;
}

/** The monthly bill of a stage with no deliveries: what its resources and schedules cost by existing. */
export function fixedMonthly(stage: StageResources, assumptions: CostAssumptions): FixedCost {
  const p = PRICES;
  const alarmMetrics = stage.alarms.reduce((sum, alarm) => sum + alarm.metrics, 0);
  const runs = stage.schedules.reduce((sum, schedule) => sum + schedule.runsPerMonth, 0);
  const rotatorGbSeconds = runs * (stage.rotatorMemoryMb / 1024) * (assumptions.rotatorBilledMsPerRun / 1000);
  const rotatorSecretReads = runs * assumptions.rotatorSecretReadsPerRun;
  const refreshReads = assumptions.warmContainers * (SECONDS_PER_MONTH / stage.secretCacheTtlSeconds);
  const items: FixedItem[] = [
    { item: 'KMS customer-managed key', count: stage.kmsKeys, unit: '$1.00 each', monthly: stage.kmsKeys * p.kmsPerKeyMonth },
    {
      item: 'Secrets Manager secrets',
      count: stage.secrets,
      unit: '$0.40 each',
      monthly: stage.secrets * p.secretsManagerPerSecretMonth,
    },
    {
      item: `CloudWatch alarms (${stage.alarms.length}; billed per metric read)`,
      count: alarmMetrics,
      unit: '$0.10 per alarm metric',
      monthly: alarmMetrics * p.cloudWatchAlarmPerMetricMonth,
    },
    {
      item: 'CloudWatch dashboard',
      count: stage.dashboards,
      unit: '$3.00 each (first 3 of the account free)',
      monthly: stage.dashboards * p.cloudWatchDashboardPerMonth,
    },
    {
      item: 'Custom metrics emitted every hour in normal operation',
      count: stage.customMetrics.steady,
      unit: '$0.30 each',
      monthly: stage.customMetrics.steady * p.cloudWatchCustomMetricPerMonth,
    },
    {
      item: 'WAF web ACL',
      count: stage.webAcls,
      unit: '$5.00 each',
      monthly: stage.webAcls * p.wafWebAclPerMonth,
    },
    { item: 'WAF rules', count: stage.wafRules, unit: '$1.00 each', monthly: stage.wafRules * p.wafRulePerMonth },
    {
      item: `Scheduled rotator runs (${stage.schedules.map((s) => s.expression).join(', ')}): scheduler, Lambda, ${assumptions.rotatorSecretReadsPerRun} secret reads + KMS decrypts, logs`,
      count: Math.round(runs),
      unit: 'runs a month',
      monthly:
        (runs / MILLION) * (p.schedulerPerMillionInvocations + p.lambdaRequestsPerMillion) +
        rotatorGbSeconds * p.lambdaArmPerGbSecond +
        (rotatorSecretReads / 10_000) * (p.secretsManagerPer10kCalls + p.kmsPer10kRequests) +
        ((runs * assumptions.rotatorLogBytesPerRun) / 1e9) * p.cloudWatchLogsIngestPerGb,
    },
    {
      item: `Receiver secret refreshes (${assumptions.warmContainers} warm container(s), one read per ${stage.secretCacheTtlSeconds} s) + KMS decrypts`,
      count: Math.round(refreshReads),
      unit: 'reads a month',
      monthly: (refreshReads / 10_000) * (p.secretsManagerPer10kCalls + p.kmsPer10kRequests),
    },
    {
      item: 'Route 53 hosted zone (the stack creates none; with `hostedZoneId` it adds one alias record to yours)',
      count: stage.hostedZones,
      unit: '$0.50 each',
      monthly: stage.hostedZones * p.route53HostedZonePerMonth,
    },
    {
      item: `Schema registry (${stage.schemas} uploaded schemas; ${stage.schemaDiscoverers} discoverer)`,
      count: stage.schemaRegistries,
      unit: 'no charge',
      monthly: 0,
    },
  ];
  const total = items.reduce((sum, item) => sum + item.monthly, 0);
  return { stage, items, total, onEventMetricsCeiling: stage.customMetrics.onEvent * p.cloudWatchCustomMetricPerMonth };
}

// ---------------------------------------------------------------------------------------------
// Per delivery
// ---------------------------------------------------------------------------------------------

export interface CostInput {
  readonly label: string;
  readonly bodyBytes: number;
  /** PutEvents entry size as EventBridge counts it (Source + DetailType + Detail). */
  readonly entryBytes: number;
  /** In-process median per delivery, as deployed (INFO logs and metrics on), this machine. */
  readonly cpuMs: number;
  /** Bytes of the product's own log line and EMF metrics per delivery (measured). */
  readonly productLogBytes: number;
}

/** The per-delivery lines of a stage's bill, USD per million deliveries (API Gateway at its first tier). */
export interface CostLines {
  readonly apiGateway: number;
  readonly waf: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly coldStarts: number;
  readonly eventBridge: number;
  readonly archive: number;
  readonly dynamoDb: number;
  readonly ledgerStorage: number;
  readonly secretsManager: number;
  readonly kms: number;
  readonly logs: number;
  readonly logStorage: number;
}

export interface CostRow {
  readonly input: CostInput;
  readonly api: ApiType;
  readonly waf: boolean;
  readonly billedMs: number;
  /** API Gateway requests one delivery is metered as (HTTP API: per started 512 KB). */
  readonly apiRequestsPerDelivery: number;
  readonly eventBridgeChunks: number;
  readonly lines: CostLines;
  /** Per million deliveries, every line at its first-tier price. */
  readonly total: number;
}

/** The settings of a stage the per-delivery bill depends on (a subset of StageResources). */
export type DeliveryProfile = Pick<
  StageResources,
  'api' | 'webAcls' | 'archives' | 'archiveRetentionDays' | 'receiverLogRetentionDays' | 'dedupWindowHours' | 'ledgerPointInTimeRecovery'
>;

/** Everything per million deliveries, in USD. */
export function costPerMillion(input: CostInput, assumptions: CostAssumptions, coldStartMs: number, profile: DeliveryProfile): CostRow {
  const p = PRICES;
  const gb = assumptions.memoryMb / 1024;
  const vcpuShare = Math.min(1, assumptions.memoryMb / assumptions.fullVcpuMb);
  const waitingMs = assumptions.putEventsRoundTripMs + assumptions.ledgerCallsPerDelivery * assumptions.ledgerRoundTripMs;
  const billedMs = Math.ceil(waitingMs + input.cpuMs / vcpuShare);
  const apiRequestsPerDelivery = profile.api === 'http' ? Math.max(1, Math.ceil(input.bodyBytes / p.httpApiMeterBytes)) : 1;
  const tiers = profile.api === 'http' ? p.apiGatewayHttpTiers : p.apiGatewayRestTiers;
  const eventBytes = input.entryBytes + assumptions.eventEnvelopeBytes;
  const eventBridgeChunks = Math.ceil(eventBytes / p.eventBridgeChunkBytes);
  const eventGbPerMillion = (MILLION * eventBytes) / 1e9;
  // Steady state: a month's events stay archived for the retention (forever: the first month's, growing).
  const archiveMonthsKept = profile.archiveRetentionDays === 0 ? 1 : profile.archiveRetentionDays / DAYS_PER_MONTH;
  const archive =
    profile.archives > 0 ? eventGbPerMillion * (p.eventBridgeArchivePerGb + archiveMonthsKept * p.eventBridgeArchiveStoragePerGbMonth) : 0;
  // One secret read (and one KMS decrypt behind it) per new container; the warm containers' refreshes are fixed monthly.
  const secretCalls = MILLION * assumptions.coldStartRate;
  const logBytes = input.productLogBytes + assumptions.platformLogBytes + assumptions.accessLogBytes;
  const logGbPerMillion = (MILLION * logBytes) / 1e9;
  const ledgerGbMonths =
    ((MILLION * assumptions.ledgerBytesPerDelivery) / 1e9) * ((profile.dedupWindowHours + assumptions.ledgerTtlLagHours) / HOURS_PER_MONTH);
  const lines: CostLines = {
    apiGateway: apiRequestsPerDelivery * (tiers[0] as PriceTier).perMillion,
    waf: profile.webAcls > 0 ? p.wafPerMillionRequests : 0,
    lambdaRequests: p.lambdaRequestsPerMillion,
    lambdaDuration: MILLION * gb * (billedMs / 1000) * p.lambdaArmPerGbSecond,
    coldStarts: MILLION * assumptions.coldStartRate * gb * (Math.ceil(coldStartMs / vcpuShare) / 1000) * p.lambdaArmPerGbSecond,
    eventBridge: eventBridgeChunks * p.eventBridgeCustomEventsPerMillion,
    archive,
    dynamoDb: assumptions.ledgerWriteUnitsPerDelivery * p.dynamoDbWritePerMillionUnits,
    ledgerStorage: ledgerGbMonths * (p.dynamoDbStoragePerGbMonth + (profile.ledgerPointInTimeRecovery ? p.dynamoDbPitrPerGbMonth : 0)),
    secretsManager: (secretCalls / 10_000) * p.secretsManagerPer10kCalls,
    kms: (secretCalls / 10_000) * p.kmsPer10kRequests,
    logs: logGbPerMillion * p.cloudWatchLogsIngestPerGb,
    logStorage: logGbPerMillion * (profile.receiverLogRetentionDays / DAYS_PER_MONTH) * p.cloudWatchLogsStoragePerGbMonth,
  };
  const total = Object.values(lines).reduce((sum, value) => sum + value, 0);
  return { input, api: profile.api, waf: profile.webAcls > 0, billedMs, apiRequestsPerDelivery, eventBridgeChunks, lines, total };
}

// ---------------------------------------------------------------------------------------------
// Monthly totals
// ---------------------------------------------------------------------------------------------

/** The price of `requests` in a month under tiered per-million prices. */
export function tieredCost(requests: number, tiers: readonly PriceTier[]): number {
  let cost = 0;
  let floor = 0;
  for (const tier of tiers) {
    if (requests <= floor) break;
    cost += ((Math.min(requests, tier.upTo) - floor) / MILLION) * tier.perMillion;
    floor = tier.upTo;
  }
  return cost;
}

/** API Gateway's monthly bill for a volume of deliveries (tiers applied to the metered requests). */
export function apiGatewayMonthly(row: CostRow, deliveriesPerMonth: number): number {
  return tieredCost(
    deliveriesPerMonth * row.apiRequestsPerDelivery,
    row.api === 'http' ? PRICES.apiGatewayHttpTiers : PRICES.apiGatewayRestTiers,
  );
}

/** Fixed + volume x the per-delivery lines, with API Gateway's tiers applied to the volume. */
export function monthlyTotal(fixed: FixedCost, row: CostRow, deliveriesPerMonth: number): number {
  const perDelivery = (row.total - row.lines.apiGateway) / MILLION;
  return fixed.total + deliveriesPerMonth * perDelivery + apiGatewayMonthly(row, deliveriesPerMonth);
}

/** What the bench hands the cost document: the per-million rows of each stage and their fixed bills. */
export interface CostReport {
  readonly assumptions: CostAssumptions;
  /** Per million deliveries, the default stage (cdk.json: REST, no WAF): read by benchmarks.md's cost paragraph. */
  readonly rows: readonly CostRow[];
  readonly coldStartMs: number;
  readonly stages?: readonly StageCost[];
}

export interface StageCost {
  readonly fixed: FixedCost;
  readonly rows: readonly CostRow[];
}

/** The rows and fixed bill of each stage, from the measured inputs. */
export function stageCosts(
  stages: readonly StageResources[],
  inputs: readonly CostInput[],
  assumptions: CostAssumptions,
  coldStartMs: number,
): StageCost[] {
  return stages.map((stage) => {
    const stageAssumptions = { ...assumptions, secretCacheTtlSeconds: stage.secretCacheTtlSeconds, memoryMb: stage.receiverMemoryMb };
    return {
      fixed: fixedMonthly(stage, stageAssumptions),
      rows: inputs.map((input) => costPerMillion(input, stageAssumptions, coldStartMs, stage)),
    };
  });
}
