/**
 * Renders docs/cost.md from the cost model (bench/cost.ts) applied to one bench run's figures and
 * the stages counted from their synthesized templates (bench/fixed-cost.ts).
 */
import { type CostReport, type CostRow, monthlyTotal, PRICE_SOURCES, PRICES, type StageCost } from './cost';
import { formatBytes, formatMicros } from './stats';

export interface CostDocumentInput {
  readonly cost: CostReport;
  readonly startedAt: Date;
  /** The product's own log bytes per delivery, by size label (measured by the hot path). */
  readonly loggedBytesPerDelivery: Readonly<Record<string, number>>;
}

/** The monthly volumes the totals table shows. */
export const VOLUMES = [10_000, 1_000_000, 100_000_000] as const;

function table(headers: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const rule = headers.map((_, index) => ((align?.[index] ?? 'l') === 'r' ? '---:' : '---'));
  return [line(headers), line(rule), ...rows.map(line)].join('\n');
}

const dollars = (value: number) =>
  value >= 1000
    ? `$${Math.round(value).toLocaleString('en')}`
    : value >= 0.1
      ? `$${value.toFixed(2)}`
      : value >= 0.001
        ? `$${value.toFixed(3)}`
        : value === 0
          ? '$0'
          : `$${value.toFixed(4)}`;
const volumeLabel = (volume: number) =>
  volume >= 1_000_000 ? `${volume / 1_000_000}M` : volume >= 1000 ? `${volume / 1000}k` : String(volume);
const percent = (value: number) => `${(value * 100).toFixed(0)}%`;

/** The raw-match row of each size (the larger body of the two forms; the per-million tables show both). */
function rawRows(stage: StageCost): CostRow[] {
  return stage.rows.filter((row) => row.input.label.endsWith('raw match'));
}

function sizeOf(row: CostRow): string {
  return row.input.label.split(',')[0] as string;
}

export function renderCost(input: CostDocumentInput): string {
  const { cost } = input;
  const a = cost.assumptions;
  const date = input.startedAt.toISOString().slice(0, 10);
  const stages = cost.stages ?? [];
  const out: string[] = [];
  const rest = stages.find((stage) => stage.fixed.stage.api === 'rest' && stage.fixed.stage.webAcls > 0);
  const http = stages.find((stage) => stage.fixed.stage.api === 'http');

  out.push(
    '# Cost',
    '',
    `_Written by \`npm run bench -- --write\` (bench/run.ts; model bench/cost.ts, resource counts bench/fixed-cost.ts, this page bench/cost-report.ts) from the run of ${date} in [benchmarks.md](benchmarks.md) and the stacks synthesized in that run. Prices: ${PRICES.region}, public list prices read on ${PRICES.checked} (each with its source and date below); other regions differ slightly. Free tiers, savings plans, data transfer and taxes are ignored unless said._`,
    '',
  );

  if (stages.length > 0) {
    // ---- Totals ----
    out.push('## Monthly totals (USD)', '');
    if (rest && http) {
      const headers = ['deliveries a month', 'delivery size', `${rest.fixed.stage.label}`, `${http.fixed.stage.label}`, 'HTTP API saves'];
      const rows: string[][] = [];
      for (const volume of VOLUMES) {
        for (const restRow of rawRows(rest)) {
          const httpRow = rawRows(http).find((row) => row.input.label === restRow.input.label) as CostRow;
          const restTotal = monthlyTotal(rest.fixed, restRow, volume);
          const httpTotal = monthlyTotal(http.fixed, httpRow, volume);
          rows.push([
            volumeLabel(volume),
            sizeOf(restRow),
            dollars(restTotal),
            dollars(httpTotal),
            `${dollars(restTotal - httpTotal)} (${percent((restTotal - httpTotal) / restTotal)})`,
          ]);
        }
      }
      out.push(table(headers, rows, ['r', 'l', 'r', 'r', 'r']), '');
      const restRow = rawRows(rest)[0] as CostRow;
      const httpRow = rawRows(http)[0] as CostRow;
      out.push(
        `Fixed + volume x the per-delivery lines below (raw-match deliveries, whose bodies are the larger form of each size: the archive and logs follow the bytes; the per-million tables show both forms), with API Gateway's tiers applied to the volume. None of these volumes crosses a tier (REST's first tier ends at 333 million requests a month, HTTP's at 300 million); bench/cost.ts applies them above (tested). The HTTP API saves ${dollars(rest.fixed.total - http.fixed.total)} a month of fixed cost (no web ACL and its rules) and ${dollars(restRow.total - httpRow.total)} per million deliveries (API Gateway ${dollars(restRow.lines.apiGateway)} -> ${dollars(httpRow.lines.apiGateway)}, no WAF request charge ${dollars(restRow.lines.waf)}): ${dollars(monthlyTotal(rest.fixed, restRow, 100_000_000) - monthlyTotal(http.fixed, httpRow, 100_000_000))} a month at 100 million. What it gives up (WAF, the allowlist): [deployment.md](deployment.md#http-api-apihttp).`,
        '',
      );
    }
    const dev = stages.find((stage) => stage !== rest && stage !== http);
    if (dev) {
      const devRows = rawRows(dev);
      out.push(
        `A dev stage (${dev.fixed.stage.label}): ${dollars(dev.fixed.total)} a month fixed; ${devRows.map((row) => `${dollars(monthlyTotal(dev.fixed, row, 10_000))} with 10k deliveries of ${sizeOf(row)}`).join(', ')}. Deleting a dev stack deletes all of it (docs/deployment.md).`,
        '',
      );
    }

    // ---- Fixed ----
    out.push(
      '## Fixed monthly, per stage (USD)',
      '',
      'What a stage costs with no delivery at all, counted from the template each stage synthesizes to (`AWS::KMS::Key`, `AWS::SecretsManager::Secret`, `AWS::CloudWatch::Alarm`, `AWS::WAFv2::WebACL` and its rules, `AWS::Scheduler::Schedule`, ...), so the counts follow the stack.',
      '',
    );
    const itemNames = stages[0]?.fixed.items.map((item) => item.item) ?? [];
    out.push(
      table(
        [
          'item',
          'price',
          ...stages.map((stage) => `${stage.fixed.stage.label}: count`),
          ...stages.map((stage) => `${stage.fixed.stage.label}: USD`),
        ],
        [
          ...itemNames.map((name, index) => [
            name,
            stages[0]?.fixed.items[index]?.unit ?? '',
            ...stages.map((stage) => (stage.fixed.items[index]?.count ?? 0).toLocaleString('en')),
            ...stages.map((stage) => dollars(stage.fixed.items[index]?.monthly ?? 0)),
          ]),
          ['**total**', '', ...stages.map(() => ''), ...stages.map((stage) => `**${dollars(stage.fixed.total)}**`)],
          [
            'Custom metrics emitted only when something happens (billed only in the hours they are emitted): at most',
            '$0.30 each',
            ...stages.map((stage) => String(stage.fixed.stage.customMetrics.onEvent)),
            ...stages.map((stage) => `+${dollars(stage.fixed.onEventMetricsCeiling)}`),
          ],
        ],
        ['l', 'l', ...stages.map(() => 'r' as const), ...stages.map(() => 'r' as const)],
      ),
      '',
    );
    const first = (stages[0] as StageCost).fixed.stage;
    out.push(
      `- **Context**: ${stages
        .map(
          (stage) =>
            `${stage.fixed.stage.label}: \`${
              Object.entries(stage.fixed.stage.context)
                .map(([k, v]) => `-c ${k}=${v}`)
                .join(' ') || 'cdk.json'
            }\``,
        )
        .join('; ')}. WAF is on by default for production REST stages (\`waf\`); HTTP APIs cannot take a web ACL.`,
      `- **KMS**: one customer-managed key encrypts the secrets, the fallback queue, the ledger, the bus and the archive. Yearly automatic rotation adds $1 a month per rotated key version (so $2 in the second year; AWS caps the charge after the second rotation). EventBridge and DynamoDB cache data keys: their KMS requests do not grow with the volume.`,
      `- **Alarms**: ${first.alarms.length} alarms, all standard resolution; \`RotationFailed\` reads two metrics (a metric-math alarm bills each metric), hence ${first.alarms.reduce((sum, alarm) => sum + alarm.metrics, 0)} alarm metrics. \`NoDeliveries\` (with \`noTrafficAlarmHours\`) adds one. Alarms on AWS metrics (API Gateway, SQS, Lambda) cost the same as on custom ones; the AWS metrics themselves are free.`,
      `- **Dashboard**: one per stage; an account's first 3 dashboards are free, so a stage that is among them costs $0 here.`,
      `- **Custom metrics**: the functions emit ${first.customMetrics.steady + first.customMetrics.onEvent} metric name x dimension combinations via EMF (namespace \`metricsNamespace\`, dimension \`service\`; \`DeliveryRejected\` once per \`Reason\`, 10 reasons; Powertools' \`ColdStart\` per function with \`function_name\`). CloudWatch prorates a custom metric by the hour: the ${first.customMetrics.steady} emitted in every hour of normal operation (\`DeliveryAccepted\`, \`DeliveryLatency\`, \`SecretRefreshes\`, the receiver's and the rotator's \`ColdStart\`, \`RotationSucceeded\`, \`TokenAgeHours\`) are billed all month; the other ${first.customMetrics.onEvent} only in hours when something happens (a rejection, a retry, a rotation), so a quiet month adds cents and the ceiling above is a month where every one of them occurs every hour. The list is bench/fixed-cost.ts; a test keeps it equal to what lambda/ emits.`,
      `- **Schedules**: ${first.schedules.map((s) => `\`${s.expression}\` (${Math.round(s.runsPerMonth).toLocaleString('en')} ${Math.round(s.runsPerMonth) === 1 ? 'run' : 'runs'} a month)`).join(' and ')} on EventBridge Scheduler, which bills $1.00 per million invocations after 14 million free a month (this stack uses ${Math.round(first.schedules.reduce((sum, s) => sum + s.runsPerMonth, 0)).toLocaleString('en')}). Each run: ${a.rotatorBilledMsPerRun} ms billed at ${first.rotatorMemoryMb} MB, ${a.rotatorSecretReadsPerRun} secret reads and their KMS decrypts, ${a.rotatorLogBytesPerRun} B of logs (measured and assumed in [reliability.md](reliability.md#what-the-15-minute-sync-costs), \`npm run bench:sync\`).`,
      `- **Receiver secret refreshes**: each warm container reads the token secret once per \`secretCacheTtlSeconds\` (${first.secretCacheTtlSeconds} s, from the receiver's environment in the template) whatever the volume; assumed ${a.warmContainers} warm container(s) all month. Each read is one KMS decrypt.`,
      `- **Route 53**: the stack creates no hosted zone. With \`domainName\` and \`hostedZoneId\` it adds one alias record to your zone (alias queries to API Gateway are free); a zone created just for this costs $${PRICES.route53HostedZonePerMonth.toFixed(2)} a month. The custom domain and an ACM public certificate cost nothing.`,
      `- **Schema registry**: ${first.schemas} uploaded schemas in one registry, no charge. Schema discovery (charged per event ingested) is not used, and cannot run on a bus with a customer-managed key.`,
      '- **Not fixed**: the ledger, the archive and the logs are stored in proportion to the volume, so their storage is a per-delivery line below; SQS queues (fallback, dead letters, rotation failures) cost nothing while empty.',
      '',
    );

    // ---- Per million ----
    for (const stage of stages.filter((s) => s === rest || s === http)) {
      out.push(`## Per million deliveries: ${stage.fixed.stage.label} (USD)`, '');
      out.push(perMillionTable(stage.rows), '');
    }
    if (rest) out.push(largestLines(rest.rows), '');
  } else {
    out.push('## Per million deliveries (USD)', '', perMillionTable(cost.rows), '');
  }

  const sample = rest ?? http ?? stages[0];
  const archiveDays = sample?.fixed.stage.archiveRetentionDays ?? 30;
  const logDays = sample?.fixed.stage.receiverLogRetentionDays ?? 90;
  const windowHours = sample?.fixed.stage.dedupWindowHours ?? 168;
  out.push(
    '## How each per-delivery line is computed',
    '',
    `- **API Gateway**: REST: one request per delivery, $3.50 per million for the first 333 million a month, $2.80 after. HTTP API: $1.00 per million for the first 300 million, $0.90 after, metered per started 512 KB: a delivery over 512 KiB (up to the receiver's 1 MiB) counts twice. The tables show the first tier; the totals apply the tiers.`,
    `- **WAF**: $${PRICES.wafPerMillionRequests.toFixed(2)} per million requests inspected, blocked ones included, when the stage has its web ACL (REST only).`,
    `- **Lambda requests**: one invocation per delivery.`,
    `- **Lambda duration**: ${a.memoryMb} MB arm64 (RECEIVER_MEMORY_MB in infra/stack.ts), billed per started millisecond: PutEvents round trip (assumed ${a.putEventsRoundTripMs} ms, not measurable here) + ${a.ledgerCallsPerDelivery} DynamoDB round trips of the delivery ledger (assumed ${a.ledgerRoundTripMs} ms each) + the measured in-process median as deployed (INFO logs and metrics on; the canonical rows add the logging overhead measured on the raw rows) divided by the vCPU share of ${a.memoryMb} MB (${a.memoryMb}/${a.fullVcpuMb} = ${(a.memoryMb / a.fullVcpuMb).toFixed(2)} vCPU), assuming one core of this machine does the work of one Graviton vCPU. Each extra 10 ms of waiting adds ${dollars(1_000_000 * (a.memoryMb / 1024) * 0.01 * PRICES.lambdaArmPerGbSecond)} per million.`,
    `- **Cold starts**: INIT is billed since 2025-08-01; measured start -> answered for the bundled receiver ${formatMicros(cost.coldStartMs)} here, scaled by the vCPU share like the hot path, at ${percent(a.coldStartRate)} of deliveries.`,
    `- **EventBridge**: one PutEvents entry per delivery, billed per started 64 KB of event (entry size as the product computes it + about ${a.eventEnvelopeBytes} bytes of envelope). A 256 KiB delivery is several billed events; since 2026-01-29 events up to 1 MB are accepted.`,
    `- **Archive**: every event is archived: $${PRICES.eventBridgeArchivePerGb.toFixed(2)} per GB archived, plus $${PRICES.eventBridgeArchiveStoragePerGbMonth.toFixed(3)} per GB-month for the ${archiveDays} days it is kept (\`archiveRetentionDays\`; in steady state a month's events are stored ${(archiveDays / 30).toFixed(1)} months). With \`archiveRetentionDays=0\` (keep forever) the storage grows by that month's line every month. Replays are $1.00 per million events replayed, when you replay.`,
    `- **DynamoDB (the delivery ledger)**: on demand, ${a.ledgerWriteUnitsPerDelivery} write request units per delivery: the claim (a conditional \`PutItem\` of an item under 1 KB, plus its entry in the time index, which holds the keys and the event name only) and the settle (an \`UpdateItem\` of attributes the index does not hold, so no index write), at $${PRICES.dynamoDbWritePerMillionUnits.toFixed(3)} per million write request units. No read units: a refused claim returns the existing record with it (\`ReturnValuesOnConditionCheckFailure\`), so a suppressed copy costs the refused claim and the copy count (2 write units) instead of PutEvents; only a copy that arrives while the first is still in flight reads (one strongly consistent \`GetItem\`, 1 read unit at $${PRICES.dynamoDbReadPerMillionUnits.toFixed(3)} per million, every 100 ms until it settles).`,
    `- **Ledger storage**: about ${a.ledgerBytesPerDelivery} B per delivery as DynamoDB bills it (item and index entry, 100 B overhead each), kept the deduplication window (${windowHours} h) plus up to ${a.ledgerTtlLagHours} h before TTL deletes it (TTL deletes are free), at $${PRICES.dynamoDbStoragePerGbMonth.toFixed(2)} per GB-month, plus $${PRICES.dynamoDbPitrPerGbMonth.toFixed(2)} per GB-month of point-in-time recovery on production stages.`,
    `- **Secrets Manager and KMS**: the initial read of each new container (${percent(a.coldStartRate)} of deliveries) and the KMS decrypt behind it, at $${PRICES.secretsManagerPer10kCalls.toFixed(2)} and $${PRICES.kmsPer10kRequests.toFixed(2)} per 10,000; the warm containers' refreshes are fixed monthly (above).`,
    `- **CloudWatch Logs**: the product's INFO line and EMF metrics (measured: ${Object.entries(input.loggedBytesPerDelivery)
      .map(([label, bytes]) => `${bytes} B at ${label}`)
      .join(
        ', ',
      )}) + Lambda's START/END/REPORT lines (assumed ${a.platformLogBytes} B) + one API Gateway access-log line (assumed ${a.accessLogBytes} B), at $${PRICES.cloudWatchLogsIngestPerGb.toFixed(2)}/GB ingested; stored ${logDays} days (\`logRetentionDays\`) at $${PRICES.cloudWatchLogsStoragePerGbMonth.toFixed(2)} per GB-month, counted uncompressed (an upper bound: CloudWatch stores logs compressed).`,
    '- Not included: data transfer (the answers are a few bytes), the fallback queue (used only when the bus refuses), replays, the registration (once per deploy).',
    '',
    '## Prices used',
    '',
    table(
      ['item', 'price', 'source', 'read'],
      PRICE_SOURCES.map((p) => [p.item, p.price, p.source, p.read]),
    ),
    '',
    `"Verified" means the figure was read on that date on the page named (third-party pages quoting AWS where the AWS page itself was not reachable from here); the others are carried over from the previous check, with where they came from. Check https://calculator.aws before relying on them.`,
    '',
  );
  return out.join('\n');
}

const LINE_NAMES: Record<keyof CostRow['lines'], string> = {
  apiGateway: 'API Gateway',
  waf: 'WAF',
  lambdaRequests: 'Lambda requests',
  lambdaDuration: 'Lambda duration',
  coldStarts: 'cold starts',
  eventBridge: 'EventBridge',
  archive: 'the archive',
  dynamoDb: 'DynamoDB writes',
  ledgerStorage: 'ledger storage',
  secretsManager: 'Secrets Manager',
  kms: 'KMS',
  logs: 'log ingestion',
  logStorage: 'log storage',
};

/** Which lines dominate the bill at each size (raw-match rows). */
function largestLines(rows: readonly CostRow[]): string {
  const parts = rows
    .filter((row) => row.input.label.endsWith('raw match'))
    .map((row) => {
      const ranked = (Object.entries(row.lines) as [keyof CostRow['lines'], number][]).sort((x, y) => y[1] - x[1]).slice(0, 3);
      return `at ${sizeOf(row)}, ${ranked.map(([name, value]) => `${LINE_NAMES[name]} ${percent(value / row.total)}`).join(', ')}`;
    });
  return `Largest lines per delivery: ${parts.join('; ')}. The archive is billed per GB of event, so it grows with the delivery size where everything else but EventBridge's 64 KB chunks does not: for large deliveries \`archiveRetentionDays\` and whether to archive at all are the cost levers, not the API type. The receiver's own compute is a few percent: making the hot path faster (benchmarks.md) changes the bill by cents per million.`;
}

function perMillionTable(rows: readonly CostRow[]): string {
  return table(
    [
      'delivery',
      'body',
      'Lambda billed ms',
      'API Gateway',
      'WAF',
      'Lambda requests',
      'Lambda duration',
      'cold starts (INIT)',
      'EventBridge (64 KB chunks)',
      'archive',
      'DynamoDB writes',
      'ledger storage',
      'Secrets Manager + KMS',
      'Logs ingest + storage',
      'total',
    ],
    rows.map((row) => [
      row.input.label,
      formatBytes(row.input.bodyBytes),
      String(row.billedMs),
      row.apiRequestsPerDelivery > 1 ? `${dollars(row.lines.apiGateway)} (${row.apiRequestsPerDelivery})` : dollars(row.lines.apiGateway),
      dollars(row.lines.waf),
      dollars(row.lines.lambdaRequests),
      dollars(row.lines.lambdaDuration),
      dollars(row.lines.coldStarts),
      `${dollars(row.lines.eventBridge)} (${row.eventBridgeChunks})`,
      dollars(row.lines.archive),
      dollars(row.lines.dynamoDb),
      dollars(row.lines.ledgerStorage),
      dollars(row.lines.secretsManager + row.lines.kms),
      dollars(row.lines.logs + row.lines.logStorage),
      `**${dollars(row.total)}**`,
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
