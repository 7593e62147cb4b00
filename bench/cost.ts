/**
 * Dollars per million deliveries, on paper: measured figures (in-process time per delivery,
 * log bytes per delivery, Secrets Manager calls per TTL, cold-start time, event sizes) times
 * public prices. Every price and assumption is listed in docs/cost.md with its source.
 */

/** Public list prices, US East (N. Virginia), USD. Checked 2026-11-30 (see sources). */
export const PRICES = {
  region: 'us-east-1 (US East, N. Virginia)',
  checked: '2026-11-30',
  apiGatewayRestPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  eventBridgeCustomEventsPerMillion: 1.0,
  eventBridgeChunkBytes: 64 * 1024,
  dynamoDbWritePerMillionUnits: 0.625,
  secretsManagerPer10kCalls: 0.05,
  secretsManagerPerSecretMonth: 0.4,
  cloudWatchLogsIngestPerGb: 0.5,
} as const;

export const PRICE_SOURCES: readonly { readonly item: string; readonly price: string; readonly source: string }[] = [
  {
    item: 'API Gateway REST API requests',
    price: '$3.50 per million (first 333 million per month; $2.80 for the next 667 million)',
    source:
      'https://aws.amazon.com/api-gateway/pricing/ ; AWS whitepaper "Best Practices for Designing Amazon API Gateway Private APIs and Private Integration", Table 4 (https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html)',
  },
  {
    item: 'Lambda requests',
    price: '$0.20 per million',
    source:
      'https://aws.amazon.com/lambda/pricing/ (as quoted by cloudchipr.com/blog/aws-lambda-pricing and the lambda_local_runner cost notes)',
  },
  {
    item: 'Lambda duration, arm64',
    price: '$0.0000133334 per GB-second (first 7.5 billion GB-s per month), billed per 1 ms; INIT phase billed too since 2025-08-01',
    source:
      'https://aws.amazon.com/lambda/pricing/ (as quoted by cloudchipr.com/blog/aws-lambda-pricing); INIT billing: https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase',
  },
  {
    item: 'EventBridge custom events (PutEvents)',
    price: '$1.00 per million events; each 64 KB chunk of an event is billed as one event',
    source:
      'https://aws.amazon.com/eventbridge/pricing/ (as quoted by cloudburn.io, "Amazon EventBridge Pricing", March 2026, and hykell.com); 1 MB maximum event size since 2026-01-29 (AWS Compute Blog, as reported by bitslovers.com)',
  },
  {
    item: 'DynamoDB on-demand writes (Standard table class)',
    price: '$0.625 per million write request units (one per started KB written, per table and per index written)',
    source:
      'https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the November 2024 reduction of on-demand throughput prices, as quoted by airbyte.com, "Amazon DynamoDB Pricing", July 2025)',
  },
  {
    item: 'Secrets Manager',
    price: '$0.05 per 10,000 API calls; $0.40 per secret per month',
    source: 'https://aws.amazon.com/secrets-manager/pricing/ (as quoted by hivebook.wiki, "AWS Secrets Manager")',
  },
  {
    item: 'CloudWatch Logs ingestion (Standard class)',
    price: '$0.50 per GB ingested',
    source: 'https://aws.amazon.com/cloudwatch/pricing/ (as quoted by c3x.dev, "CloudWatch Logs cost optimization", us-east-1, June 2026)',
  },
];

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
  readonly deliveriesPerMonth: number;
  readonly secretCacheTtlSeconds: number;
  /** Delivery ledger: DynamoDB calls per delivery (claim, settle) and their in-region round trip. */
  readonly ledgerCallsPerDelivery: number;
  readonly ledgerRoundTripMs: number;
  /** Write request units per delivery: the claim (item + index entry) and the settle (item). */
  readonly ledgerWriteUnitsPerDelivery: number;
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
  deliveriesPerMonth: 1_000_000,
  secretCacheTtlSeconds: 300,
  ledgerCallsPerDelivery: 2,
  ledgerRoundTripMs: 5,
  ledgerWriteUnitsPerDelivery: 3,
};

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

export interface CostRow {
  readonly input: CostInput;
  readonly billedMs: number;
  readonly apiGateway: number;
  readonly lambdaRequests: number;
  readonly lambdaDuration: number;
  readonly eventBridgeChunks: number;
  readonly eventBridge: number;
  readonly dynamoDb: number;
  readonly secretsManager: number;
  readonly logs: number;
  readonly coldStarts: number;
  readonly total: number;
}

/** Everything per million deliveries, in USD. */
export function costPerMillion(input: CostInput, assumptions: CostAssumptions, coldStartMs: number): CostRow {
  const million = 1_000_000;
  const gb = assumptions.memoryMb / 1024;
  const vcpuShare = Math.min(1, assumptions.memoryMb / assumptions.fullVcpuMb);
  const waitingMs = assumptions.putEventsRoundTripMs + assumptions.ledgerCallsPerDelivery * assumptions.ledgerRoundTripMs;
  const billedMs = Math.ceil(waitingMs + input.cpuMs / vcpuShare);
  const dynamoDb = assumptions.ledgerWriteUnitsPerDelivery * PRICES.dynamoDbWritePerMillionUnits;
  const lambdaDuration = million * gb * (billedMs / 1000) * PRICES.lambdaArmPerGbSecond;
  const eventBridgeChunks = Math.ceil((input.entryBytes + assumptions.eventEnvelopeBytes) / PRICES.eventBridgeChunkBytes);
  const eventBridge = eventBridgeChunks * PRICES.eventBridgeCustomEventsPerMillion;
  // One read per new container (measured: the initial load) and one per TTL per warm container.
  const refreshesPerMonth = assumptions.warmContainers * ((30 * 86_400) / assumptions.secretCacheTtlSeconds);
  const secretCalls = million * assumptions.coldStartRate + refreshesPerMonth * (million / assumptions.deliveriesPerMonth);
  const secretsManager = (secretCalls / 10_000) * PRICES.secretsManagerPer10kCalls;
  const logBytes = input.productLogBytes + assumptions.platformLogBytes + assumptions.accessLogBytes;
  const logs = ((million * logBytes) / 1e9) * PRICES.cloudWatchLogsIngestPerGb;
  const coldStarts = million * assumptions.coldStartRate * gb * (Math.ceil(coldStartMs / vcpuShare) / 1000) * PRICES.lambdaArmPerGbSecond;
  const apiGateway = PRICES.apiGatewayRestPerMillion;
  const lambdaRequests = PRICES.lambdaRequestsPerMillion;
  return {
    input,
    billedMs,
    apiGateway,
    lambdaRequests,
    lambdaDuration,
    eventBridgeChunks,
    eventBridge,
    dynamoDb,
    secretsManager,
    logs,
    coldStarts,
    total: apiGateway + lambdaRequests + lambdaDuration + eventBridge + dynamoDb + secretsManager + logs + coldStarts,
  };
}
