/**
 * Adversarial bodies through the full handler: each attack body (bench/adversarial-bodies.ts)
 * against an ordinary body of the same size, shape and key count, both signed the way Amani
 * signs (HMAC of CPython's `json.dumps`, here computed by the product's own transcoder, which
 * the tests hold byte-equal to CPython). The raw HMAC fails on both, so each delivery runs the
 * canonical pass an unauthenticated attacker can trigger, then the rest of the pipeline.
 * Interleaved in shuffled batches; the bar is on the ratio of medians.
 */
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { currentKeyHashPoint, keyHashStep, pythonJsonDumpsBytes } from '../lambda/core/python-json';
import { buildReceiver, createReceiverClients } from '../lambda/receiver/build-receiver';
import { webhookEvent } from '../local/api-gateway-events';
import { lambdaContext } from '../local/lambda-context';
import {
  collidingKeysBody,
  duplicatesAtEveryDepthBody,
  FNV1A_32,
  keysCollidingUnderBothBody,
  repeatedKeyBody,
  type AdversarialBody,
} from './adversarial-bodies';
import { benchReceiverConfig } from './hot-path';
import { BENCH_TOKEN, cannedAnswers, noNetworkHandler, withoutNetwork } from './no-network';
import { seededRandom, shuffled, summarise, type Summary } from './stats';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** Worst attack body / ordinary body, through the full handler (medians). */
export const ADVERSARIAL_BAR = 2;

export interface AdversarialRow {
  readonly name: string;
  readonly description: string;
  readonly bodyBytes: number;
  readonly keyCount: number;
  readonly attack: Summary;
  readonly ordinary: Summary;
  readonly ratio: number;
}

export interface AdversarialResult {
  readonly targetBytes: number;
  readonly samples: number;
  readonly rows: AdversarialRow[];
  readonly worst: AdversarialRow;
}

function signedDelivery(body: Buffer): APIGatewayProxyEvent {
  const canonical = pythonJsonDumpsBytes(body);
  if (canonical === undefined) throw new Error('adversarial bench: a body has no canonical form');
  const signature = createHmac('sha256', BENCH_TOKEN).update(canonical, 'latin1').digest('base64');
  return webhookEvent({ body, headers: { 'Webhook-Signature': signature, 'Content-Type': 'application/json' } });
}

/** The attack bodies at about `targetBytes`, built for this process's keyed-hash point. */
export function adversarialBodies(targetBytes: number): AdversarialBody[] {
  const point = currentKeyHashPoint();
  // 2^rounds keys of rounds * 152 characters: the largest count that fits the target.
  let rounds = 1;
  while (2 ** (rounds + 1) * (rounds + 1) * 152 <= targetBytes) rounds++;
  return [
    collidingKeysBody('keys sharing one FNV-1a value', FNV1A_32, targetBytes),
    keysCollidingUnderBothBody(
      'keys sharing FNV-1a and keyed-hash values (attacker knows the point)',
      FNV1A_32,
      (keyLength) => ({ initial: keyLength, step: (state, code) => keyHashStep(state, code, point) }),
      rounds,
    ),
    repeatedKeyBody(targetBytes),
    duplicatesAtEveryDepthBody(targetBytes),
  ];
}

export async function runAdversarial(options: {
  readonly targetBytes: number;
  readonly samples: number;
  readonly batch: number;
}): Promise<AdversarialResult> {
  const network = noNetworkHandler({ answers: cannedAnswers() });
  const handler = buildReceiver(benchReceiverConfig(), withoutNetwork(createReceiverClients(), network)) as unknown as Handler;
  const context = () => lambdaContext({ functionName: 'amani-webhooks-receiver-bench', remainingMs: 29_000 });
  const random = seededRandom(20261201);
  const rows: AdversarialRow[] = [];
  for (const body of adversarialBodies(options.targetBytes)) {
    const variants = [
      { name: 'attack', event: signedDelivery(body.body) },
      { name: 'ordinary', event: signedDelivery(body.ordinary) },
    ];
    for (const variant of variants) {
      const answer = await handler(variant.event, context());
      if (answer.statusCode !== 200)
        throw new Error(`adversarial bench: ${body.name} (${variant.name}) answered ${answer.statusCode}: ${answer.body}`);
    }
    for (let round = 0; round < 5; round++) for (const variant of variants) await handler(variant.event, context());
    const samples = new Map(variants.map((variant) => [variant.name, [] as number[]]));
    for (let round = 0; round < Math.ceil(options.samples / options.batch); round++) {
      for (const variant of shuffled(variants, random)) {
        const bucket = samples.get(variant.name) as number[];
        for (let index = 0; index < options.batch; index++) {
          const started = performance.now();
          await handler(variant.event, context());
          bucket.push(performance.now() - started);
        }
      }
    }
    const attack = summarise(samples.get('attack') as number[]);
    const ordinary = summarise(samples.get('ordinary') as number[]);
    rows.push({
      name: body.name,
      description: body.description,
      bodyBytes: body.body.length,
      keyCount: body.keyCount,
      attack,
      ordinary,
      ratio: attack.median / ordinary.median,
    });
  }
  const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  return { targetBytes: options.targetBytes, samples: options.samples, rows, worst };
}
