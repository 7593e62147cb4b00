/**
 * Where the full handler's time goes: each step of a delivery timed on its own, with the
 * product's own functions, on the same bodies as the hot path (interleaved like it). Used to say
 * what dominates when a bar is missed.
 */
import { isUtf8 } from 'node:buffer';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { createReceiverClients } from '../lambda/receiver/build-receiver';
import { isCanonicalBase64, readRawBody } from '../lambda/receiver/api-gateway';
import {
  buildBusEntry,
  busEntrySize,
  busEntrySizeAtMost,
  detailFromBytes,
  parseJsonObject,
  sha256Hex,
  deliveryMetadata,
  type DeliveryMetadata,
} from '../lambda/core/delivery-event';
import { pythonJsonDumpsQuick, pythonJsonDumpsToBuffer } from '../lambda/core/python-json';
import { hmacSha256 } from '../lambda/core/webhook-auth';
import { BENCH_TOKEN, cannedAnswers, naiveEventBridgeClient, noNetworkHandler, withoutNetwork } from './no-network';
import type { Prepared } from './hot-path';
import { benchReceiverConfig, floor } from './hot-path';
import { median, seededRandom, shuffled } from './stats';

export type StepName =
  | 'floor'
  | 'readRawBody (base64 decode + canonical check)'
  | 'base64 decode alone'
  | 'canonical base64 check alone (isCanonicalBase64)'
  | 'HMAC-SHA256 of the body'
  | 'SHA-256 of the body (bodySha256)'
  | 'UTF-8 check (isUtf8)'
  | 'a string of the body (toString): what the naive receiver parses and publishes'
  | 'JSON.parse of the body (parseJsonObject)'
  | 'canonical form, quick: floats as written (pythonJsonDumpsQuick, tried first)'
  | 'canonical form, full (pythonJsonDumpsToBuffer, when the quick one does not match)'
  | 'bus entry + its size bound (buildBusEntry, busEntrySizeAtMost)'
  | 'exact UTF-8 entry size (busEntrySize, only near the limit)'
  | 'the Detail made once from the signed bytes (detailFromBytes)'
  | 'the Detail by concatenation, as before (body string + metadata, flattened on first read)'
  | 'SDK PutEvents send (product client, no network)'
  | 'same, stock client (as the naive receiver)';

export interface BreakdownRow {
  readonly label: string;
  readonly wire: 'raw-match body' | 'compact body';
  readonly bodyBytes: number;
  readonly steps: Partial<Record<StepName, number>>;
  /** busEntrySizeAtMost for this body, and the receiver's limit: the exact count runs only above it. */
  readonly entryBoundBytes: number;
  readonly maxEventBytes: number;
}

export async function runBreakdown(
  cases: readonly { label: string; raw: Prepared; compact: Prepared }[],
  samples: (bytes: number) => number,
): Promise<BreakdownRow[]> {
  const network = noNetworkHandler({ answers: cannedAnswers() });
  // The product's client (cached middleware stack; deadlines by sendWithin, not per-call options)
  // against the stock client the naive receiver uses.
  const { eventBridge } = withoutNetwork(createReceiverClients(), network);
  const stock = naiveEventBridgeClient(network);
  const { maxEventBytes } = benchReceiverConfig();
  const random = seededRandom(42);
  const rows: BreakdownRow[] = [];
  for (const sizeCase of cases) {
    for (const [wire, prepared] of [
      ['raw-match body', sizeCase.raw],
      ['compact body', sizeCase.compact],
    ] as const) {
      const { body, event, signature } = prepared;
      const metadata: DeliveryMetadata = deliveryMetadata({
        deliveryId: sha256Hex(body),
        receivedAt: new Date().toISOString(),
        authMode: 'signature',
        signatureForm: wire === 'raw-match body' ? 'raw' : 'python-json',
        tokenGeneration: 'current',
        bodySha256: sha256Hex(body),
        requestId: 'req-0001',
      });
      // The body's text as the receiver embeds it (a view into the Detail made from the bytes).
      const json = detailFromBytes(metadata, body).bodyText;
      if (!parseJsonObject(json)) throw new Error('breakdown: body does not parse');
      const base64 = event.body ?? '';
      const decoded = Buffer.from(base64, 'base64');
      if (decoded.toString('base64') !== base64) throw new Error('breakdown: the event body is not canonical base64');
      const entry = buildBusEntry({
        source: 'amani',
        eventBusName: 'amani-webhooks-bench',
        detailType: 'profile_update',
        metadata,
        bodyJson: json,
      });
      const steps: Array<[StepName, () => unknown]> = [
        ['floor', () => floor(body, signature, 'amani-webhooks-bench')],
        ['readRawBody (base64 decode + canonical check)', () => readRawBody(event, 1024 * 1024)],
        ['base64 decode alone', () => Buffer.from(base64, 'base64')],
        ['canonical base64 check alone (isCanonicalBase64)', () => isCanonicalBase64(base64, decoded)],
        ['HMAC-SHA256 of the body', () => hmacSha256(BENCH_TOKEN, body)],
        ['SHA-256 of the body (bodySha256)', () => sha256Hex(body)],
        ['UTF-8 check (isUtf8)', () => isUtf8(body)],
        ['a string of the body (toString): what the naive receiver parses and publishes', () => body.toString('utf8')],
        ['JSON.parse of the body (parseJsonObject)', () => parseJsonObject(json)],
        // What the receiver does (receive-delivery.ts): the entry, then a bound on its size from
        // lengths alone; the exact UTF-8 count runs only when the bound comes near the limit.
        [
          'bus entry + its size bound (buildBusEntry, busEntrySizeAtMost)',
          () =>
            busEntrySizeAtMost(
              buildBusEntry({
                source: 'amani',
                eventBusName: 'amani-webhooks-bench',
                detailType: 'profile_update',
                metadata,
                bodyJson: json,
              }),
              json,
              body.length,
            ),
        ],
        ['exact UTF-8 entry size (busEntrySize, only near the limit)', () => busEntrySize(entry)],
        // The receiver's one body-sized string (receive-delivery.ts, decode), and what it replaced:
        // the body's text, then a Detail concatenated around it, which the SDK's first read copies.
        ['the Detail made once from the signed bytes (detailFromBytes)', () => detailFromBytes(metadata, body).detail.length],
        [
          'the Detail by concatenation, as before (body string + metadata, flattened on first read)',
          () => {
            const { Detail } = buildBusEntry({
              source: 'amani',
              eventBusName: 'amani-webhooks-bench',
              detailType: 'profile_update',
              metadata,
              bodyJson: body.toString('utf8'),
            });
            return Detail.charCodeAt(Detail.length - 1);
          },
        ],
        ['SDK PutEvents send (product client, no network)', () => eventBridge.send(new PutEventsCommand({ Entries: [entry] }))],
        ['same, stock client (as the naive receiver)', () => stock.send(new PutEventsCommand({ Entries: [entry] }))],
      ];
      if (wire === 'compact body') {
        steps.push(['canonical form, quick: floats as written (pythonJsonDumpsQuick, tried first)', () => pythonJsonDumpsQuick(body)]);
        steps.push([
          'canonical form, full (pythonJsonDumpsToBuffer, when the quick one does not match)',
          () => pythonJsonDumpsToBuffer(body),
        ]);
      }
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
        entryBoundBytes: busEntrySizeAtMost(entry, json, body.length),
        maxEventBytes,
      });
    }
  }
  return rows;
}
