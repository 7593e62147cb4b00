/**
 * Secret cache: Secrets Manager calls made by one receiver container (one `buildReceiver`, the
 * product's own clients) for genuine deliveries, counted twice - at the client (a middleware on
 * the Secrets Manager client, once per `send`) and at the no-network transport (once per HTTP
 * attempt, retries included). The transport answers GetSecretValue after a simulated round trip
 * so that concurrent deliveries really overlap the load.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { buildReceiver, createReceiverClients } from '../lambda/receiver/build-receiver';
import type { ReceiverConfig } from '../lambda/receiver/env';
import { lambdaContext } from '../local/lambda-context';
import { benchPayload, benchReceiverConfig, prepare } from './hot-path';
import { callsTo, cannedAnswers, countCommands, noNetworkHandler, withoutNetwork } from './no-network';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface CacheScenario {
  readonly name: string;
  readonly deliveries: number;
  readonly concurrency: string;
  readonly ttlMs: number;
  readonly elapsedMs: number;
  /** At most one call per TTL window: floor(elapsed / TTL) + 1. */
  readonly allowedCalls: number;
  readonly clientCalls: number;
  readonly transportCalls: number;
  readonly accepted: number;
  readonly pass: boolean;
}

export interface CacheResult {
  readonly scenarios: CacheScenario[];
  /** Forged deliveries: forced refreshes, bounded by one per SECRET_REFRESH_MIN_INTERVAL (informative). */
  readonly forged: {
    readonly deliveries: number;
    readonly minIntervalMs: number;
    readonly calls: number;
    readonly elapsedMs: number;
    readonly allowedCalls: number;
  };
}

const SECRET_RTT_MS = 15;

function container(overrides: Partial<ReceiverConfig> = {}) {
  const network = noNetworkHandler({ answers: cannedAnswers(), latencyMs: { GetSecretValue: SECRET_RTT_MS } });
  const clients = withoutNetwork(createReceiverClients(), network);
  const atClient = countCommands(clients.secretsManager);
  const handler = buildReceiver(benchReceiverConfig(overrides), clients) as unknown as Handler;
  return {
    handler,
    clientCalls: () => atClient.get('GetSecretValueCommand') ?? 0,
    transportCalls: () => callsTo(network, 'GetSecretValue'),
  };
}

function scenario(
  name: string,
  concurrency: string,
  ttlMs: number,
  started: number,
  box: ReturnType<typeof container>,
  answers: readonly APIGatewayProxyResult[],
): CacheScenario {
  const elapsedMs = performance.now() - started;
  const allowedCalls = Math.floor(elapsedMs / ttlMs) + 1;
  const clientCalls = box.clientCalls();
  const transportCalls = box.transportCalls();
  const accepted = answers.filter((answer) => answer.statusCode === 200).length;
  return {
    name,
    deliveries: answers.length,
    concurrency,
    ttlMs,
    elapsedMs,
    allowedCalls,
    clientCalls,
    transportCalls,
    accepted,
    pass: clientCalls <= allowedCalls && transportCalls <= allowedCalls && accepted === answers.length,
  };
}

export async function runSecretCache(options: { sequential: number; concurrent: number }): Promise<CacheResult> {
  const payload = benchPayload(1024);
  const raw = prepare(payload, 'python');
  const compact = prepare(payload, 'compact');
  // A fresh context per invocation, as Lambda gives (its deadline drives middy's early timeout).
  const context = () => lambdaContext({ functionName: 'amani-webhooks-receiver-bench', remainingMs: 29_000 });
  const defaults = benchReceiverConfig();
  const scenarios: CacheScenario[] = [];

  // 1. Sequential deliveries on one warm container, the product's TTL; every 4th one needs the
  //    canonical form (a raw-body mismatch must not cost a refresh).
  {
    const box = container();
    const started = performance.now();
    const answers: APIGatewayProxyResult[] = [];
    for (let index = 0; index < options.sequential; index++) {
      answers.push(await box.handler(index % 4 === 3 ? compact.event : raw.event, context()));
    }
    scenarios.push(
      scenario(`${options.sequential.toLocaleString('en')} sequential deliveries`, '1', defaults.secretCacheTtlMs, started, box, answers),
    );
  }

  // 2. Concurrent deliveries on a cold container (nothing cached, the load takes a round trip).
  {
    const box = container();
    const started = performance.now();
    // Concurrent invocations of one handler share Powertools' per-container metrics store: all
    // but one find it already flushed and warn on stderr; keep the console clean.
    const answers = await silenced(() =>
      Promise.all(
        Array.from({ length: options.concurrent }, (_, index) => box.handler(index % 2 === 0 ? raw.event : compact.event, context())),
      ),
    );
    scenarios.push(
      scenario(
        `${options.concurrent} concurrent deliveries, cold container`,
        String(options.concurrent),
        defaults.secretCacheTtlMs,
        started,
        box,
        answers,
      ),
    );
  }

  // 3. Short TTL: sequential deliveries across several expiries, then a concurrent burst right
  //    after an expiry (the reload is shared, stale-while-loading is not used for expiry).
  {
    const ttlMs = 250;
    const box = container({ secretCacheTtlMs: ttlMs });
    const started = performance.now();
    const answers: APIGatewayProxyResult[] = [];
    while (performance.now() - started < 4.2 * ttlMs) answers.push(await box.handler(raw.event, context()));
    await new Promise((resolve) => setTimeout(resolve, ttlMs));
    answers.push(
      ...(await silenced(() => Promise.all(Array.from({ length: options.concurrent }, () => box.handler(raw.event, context()))))),
    );
    scenarios.push(
      scenario(
        `short TTL (${ttlMs} ms): sequential for ${Math.round(4.2 * ttlMs)} ms, then ${options.concurrent} concurrent after an expiry`,
        `1, then ${options.concurrent}`,
        ttlMs,
        started,
        box,
        answers,
      ),
    );
  }

  // Informative: forged deliveries force a re-read (a rotation may have happened), shared and
  // rate-limited to one per SECRET_REFRESH_MIN_INTERVAL_MS. Not "genuine deliveries".
  const minIntervalMs = 200;
  const box = container({ secretRefreshMinIntervalMs: minIntervalMs });
  await box.handler(raw.event, context()); // warm: the one initial load
  const forgedEvent = { ...raw.event, headers: { ...raw.event.headers, 'Webhook-Signature': `${'A'.repeat(43)}=` } };
  forgedEvent.multiValueHeaders = Object.fromEntries(Object.entries(forgedEvent.headers).map(([key, value]) => [key, [value as string]]));
  const started = performance.now();
  // A 401 publishes a single-metric EMF line even with metrics disabled; keep the console clean.
  const [forgedAnswers, second] = await silenced(async () => [
    await Promise.all(Array.from({ length: options.concurrent }, () => box.handler(forgedEvent, context()))),
    await Promise.all(Array.from({ length: options.concurrent }, () => box.handler(forgedEvent, context()))),
  ]);
  const elapsedMs = performance.now() - started;
  if ([...forgedAnswers, ...second].some((answer) => answer.statusCode !== 401)) throw new Error('forged deliveries were not refused');
  return {
    scenarios,
    forged: {
      deliveries: 2 * options.concurrent,
      minIntervalMs,
      calls: box.clientCalls() - 1,
      elapsedMs,
      allowedCalls: Math.floor(elapsedMs / minIntervalMs) + 1,
    },
  };
}

async function silenced<T>(action: () => Promise<T>): Promise<T> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await action();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
