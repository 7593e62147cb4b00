/**
 * Where the full handler's time goes: each step of a delivery timed on its own, with the
 * product's own functions, on the same bodies as the hot path (interleaved like it). Used to say
 * what dominates when a bar is missed.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { clientOptions } from '../lambda/adapters/aws-clients';
import { createReceiverClients } from '../lambda/receiver/build-receiver';
import { readRawBody } from '../lambda/receiver/api-gateway';
import { buildBusEntry, busEntrySize, parseDeliveryBody, sha256Hex, type DeliveryMetadata } from '../lambda/core/delivery-event';
import { pythonJsonDumpsBytes } from '../lambda/core/python-json';
import { hmacSha256 } from '../lambda/core/webhook-auth';
import { BENCH_TOKEN, cannedAnswers, noNetworkHandler, withoutNetwork } from './no-network';
import type { Prepared } from './hot-path';
import { floor } from './hot-path';
import { median, seededRandom, shuffled } from './stats';

export type StepName =
  | 'floor'
  | 'base64 check + decode (readRawBody)'
  | 'base64 decode alone'
  | 'HMAC-SHA256 of the body'
  | 'SHA-256 of the body (bodySha256)'
  | 'UTF-8 decode (TextDecoder, fatal)'
  | 'JSON.parse + schema (parseDeliveryBody)'
  | 'canonical form (pythonJsonDumpsBytes)'
  | 'bus entry + its size (buildBusEntry, busEntrySize)'
  | 'SDK PutEvents send (product client, no network)'
  | 'same, client with cacheMiddleware and no per-call options';

export interface BreakdownRow {
  readonly label: string;
  readonly wire: 'raw-match body' | 'compact body';
  readonly bodyBytes: number;
  readonly steps: Partial<Record<StepName, number>>;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export async function runBreakdown(cases: readonly { label: string; raw: Prepared; compact: Prepared }[], samples: (bytes: number) => number): Promise<BreakdownRow[]> {
  const network = noNetworkHandler({ answers: cannedAnswers() });
  const { eventBridge } = withoutNetwork(createReceiverClients(), network);
  // What the SDK offers to cut its per-call cost: a cached middleware stack, only used by sends
  // without per-call options (the product passes an abortSignal per attempt).
  const cached = withoutNetwork(
    { eventBridge: new EventBridgeClient({ ...clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 1500, maxAttempts: 1 }), cacheMiddleware: true }) },
    network,
  ).eventBridge;
  const random = seededRandom(42);
  const rows: BreakdownRow[] = [];
  for (const sizeCase of cases) {
    for (const [wire, prepared] of [
      ['raw-match body', sizeCase.raw],
      ['compact body', sizeCase.compact],
    ] as const) {
      const { body, event, signature } = prepared;
      const text = body.toString('utf8');
      const parsed = parseDeliveryBody(text);
      if (!parsed.ok) throw new Error('breakdown: body does not parse');
      const metadata: DeliveryMetadata = {
        deliveryId: sha256Hex(body),
        receivedAt: new Date().toISOString(),
        authMode: 'signature',
        signatureForm: wire === 'raw-match body' ? 'raw' : 'python-json',
        tokenGeneration: 'current',
        bodySha256: sha256Hex(body),
        requestId: 'req-0001',
      };
      const entry = buildBusEntry({ source: 'amani', eventBusName: 'amani-webhooks-bench', detailType: 'profile_update', metadata, bodyJson: parsed.json });
      const steps: Array<[StepName, () => unknown]> = [
        ['floor', () => floor(body, signature, 'amani-webhooks-bench')],
        ['base64 check + decode (readRawBody)', () => readRawBody(event, 1024 * 1024)],
        ['base64 decode alone', () => Buffer.from(event.body ?? '', 'base64')],
        ['HMAC-SHA256 of the body', () => hmacSha256(BENCH_TOKEN, body)],
        ['SHA-256 of the body (bodySha256)', () => sha256Hex(body)],
        ['UTF-8 decode (TextDecoder, fatal)', () => UTF8.decode(body)],
        ['JSON.parse + schema (parseDeliveryBody)', () => parseDeliveryBody(text)],
        ['bus entry + its size (buildBusEntry, busEntrySize)', () => busEntrySize(buildBusEntry({ source: 'amani', eventBusName: 'amani-webhooks-bench', detailType: 'profile_update', metadata, bodyJson: parsed.json }))],
        ['SDK PutEvents send (product client, no network)', () => eventBridge.send(new PutEventsCommand({ Entries: [entry] }), { abortSignal: AbortSignal.timeout(1500) })],
        ['same, client with cacheMiddleware and no per-call options', () => cached.send(new PutEventsCommand({ Entries: [entry] }))],
      ];
      if (wire === 'compact body') steps.push(['canonical form (pythonJsonDumpsBytes)', () => pythonJsonDumpsBytes(body)]);
      const times = new Map<StepName, number[]>(steps.map(([name]) => [name, []]));
      const count = samples(body.length);
      const batch = Math.max(1, Math.round(count / 20));
      for (const [, run] of steps) for (let index = 0; index < Math.max(3, batch); index++) await run(); // warm-up
      for (let round = 0; round < Math.ceil(count / batch); round++) {
        for (const [name, run] of shuffled(steps, random)) {
          const bucket = times.get(name) as number[];
          for (let index = 0; index < batch; index++) {
            const started = performance.now();
            await run();
            bucket.push(performance.now() - started);
          }
        }
      }
      rows.push({
        label: sizeCase.label,
        wire,
        bodyBytes: body.length,
        steps: Object.fromEntries([...times].map(([name, values]) => [name, median(values)])),
      });
    }
  }
  return rows;
}
