/**
 * Hostile input, with fast-check, against the receiver's real handler and adapters (real SDK
 * clients over the wire-level AWS fake, healthy): thousands of generated deliveries per run.
 *
 * - never a crash (the handler always answers), never a 5xx while the dependencies are healthy;
 * - never a 2xx without a valid signature (or token), whatever the body, headers or encoding;
 * - an authentic delivery is 200 exactly when its body is a UTF-8 JSON object (within the size
 *   limits), and then the event on the bus carries that very body;
 * - the delivery invariant over every run, and nothing secret or personal in any output.
 *
 * The handler is wired like `buildReceiver` but with the secret cache's forced-refresh interval
 * at 0 instead of >= 1 s: every failed verification asks Secrets Manager again, as the first one
 * after a rotation does (with the production interval, forged deliveries wait up to a second for
 * the next allowed refresh, and thousands of cases would take an hour). HOSTILE_RUNS_SCALE
 * multiplies the number of cases (default 1).
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import fc from 'fast-check';
import { EventBridgePublisher } from '../../lambda/adapters/event-bus';
import { SqsFallbackQueue } from '../../lambda/adapters/fallback-queue';
import { SecretsManagerTokenStore } from '../../lambda/adapters/token-secret-store';
import { RefreshingCache } from '../../lambda/core/refreshing-cache';
import type { TokenSecret } from '../../lambda/core/token-secret';
import { createReceiverClients } from '../../lambda/receiver/build-receiver';
import { loadReceiverConfig } from '../../lambda/receiver/env';
import { createReceiverHandler } from '../../lambda/receiver/handler';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { pointSdkAt, startAwsEmulator, type AwsEmulator } from './support/aws-fake';
import { DeliveryLedger, storedCopies, type StoredCopy } from './support/delivery-invariant';
import {
  anyBody,
  forgedSignatures,
  hmacBase64,
  isJsonObjectBody,
  publishedText,
  nameCase,
  noiseHeaders,
  proxyEvent,
  signedMessages,
  type BodyEncoding,
  type HeaderLayout,
} from './support/hostile';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';
import { lambdaContext } from './support/wire-receiver';

const SCALE = Math.max(1, Number(process.env.HOSTILE_RUNS_SCALE ?? '1') || 1);
const runs = (n: number) => Math.round(n * SCALE);

const watch = new LeakWatch();
const TOKEN = `tök€n-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
const PREVIOUS = `previous-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
const EXPIRED = `expired-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
const STRANGER = `stranger-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
watch.add('token', TOKEN, PREVIOUS, EXPIRED, STRANGER);
const SENTINELS = Array.from({ length: 12 }, (_, i) => watch.sentinel(`pii${i}`));

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

let emulator: AwsEmulator;
let output: CapturedOutput;
const ledger = new DeliveryLedger();
const resources: Array<{ bus: string; queue: string }> = [];
const tried: Record<string, number> = {};
const statuses: Record<string, Record<number, number>> = {};

function fuzzReceiver(name: string, secret: TokenSecret, env: Record<string, string> = {}): Handler {
  const queue = `fallback-${name}`;
  const queueUrl = emulator.createQueue(queue);
  const secretId = `token-${name}`;
  emulator.putSecret(secretId, JSON.stringify(secret));
  resources.push({ bus: `bus-${name}`, queue });
  const config = loadReceiverConfig({ TOKEN_SECRET_ID: secretId, EVENT_BUS_NAME: `bus-${name}`, FALLBACK_QUEUE_URL: queueUrl, ...env });
  const clients = createReceiverClients();
  const store = new SecretsManagerTokenStore(clients.secretsManager, config.tokenSecretId);
  const tokens = new RefreshingCache<TokenSecret>({
    load: () => store.read(),
    ttlMs: config.secretCacheTtlMs,
    minForcedRefreshIntervalMs: 0,
  });
  const bus = new EventBridgePublisher(clients.eventBridge, { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 800, attemptTimeoutMs: 1500 });
  const fallback = new SqsFallbackQueue(clients.sqs, config.fallbackQueueUrl);
  const logger = new Logger({ serviceName: 'amani-webhooks-receiver', logLevel: 'DEBUG' });
  const metrics = new Metrics({ namespace: 'AmaniWebhooks', serviceName: 'amani-webhooks-receiver' });
  return createReceiverHandler({ config, tokens, bus, fallback, logger, metrics }) as unknown as Handler;
}

let signature: Handler;
let tight: Handler;
let tokenMode: Handler;
const TIGHT_LIMIT = 4096;

beforeAll(async () => {
  output = captureOutput();
  emulator = await startAwsEmulator();
  pointSdkAt(emulator);
  const inGrace = new Date(Date.now() + 3_600_000).toISOString();
  signature = fuzzReceiver('signature', { token: TOKEN, previousToken: PREVIOUS, previousTokenValidUntil: inGrace });
  tight = fuzzReceiver(
    'tight',
    { token: TOKEN, previousToken: EXPIRED, previousTokenValidUntil: new Date(Date.now() - 1000).toISOString() },
    {
      MAX_BODY_BYTES: String(TIGHT_LIMIT),
      MAX_EVENT_BYTES: String(TIGHT_LIMIT),
    },
  );
  tokenMode = fuzzReceiver('token', { token: TOKEN, previousToken: PREVIOUS, previousTokenValidUntil: inGrace }, { AUTH_MODE: 'token' });
});

afterAll(async () => {
  output.restore();
  await emulator.close();
});

/** Invokes, never lets an exception through unnoticed, and records the answer for the invariant. */
async function deliver(
  property: string,
  handler: Handler,
  event: APIGatewayProxyEvent,
  body: Buffer,
  forged: boolean,
): Promise<APIGatewayProxyResult> {
  tried[property] = (tried[property] ?? 0) + 1;
  let result: APIGatewayProxyResult;
  try {
    result = await handler(event, lambdaContext());
  } catch (error) {
    throw new Error(`the handler threw ${(error as Error).name} instead of answering`);
  }
  statuses[property] ??= {};
  const byStatus = statuses[property];
  byStatus[result.statusCode] = (byStatus[result.statusCode] ?? 0) + 1;
  watch.addText(result.body);
  ledger.record({ label: property, body, forged }, { status: result.statusCode, body: result.body });
  return result;
}

const layouts: fc.Arbitrary<HeaderLayout> = fc.constantFrom('both', 'single-only', 'multi-only');
const assertConfig = (numRuns: number) => ({ numRuns, endOnFailure: true });

describe('hostile input (fast-check) against the real handler, dependencies healthy', () => {
  it('never answers 2xx (nor 5xx, nor throws) for a delivery without a valid signature', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyBody(SENTINELS).chain((body) =>
          fc.record({
            body: fc.constant(body),
            credential: forgedSignatures(body, TOKEN, [STRANGER, EXPIRED, TOKEN.toUpperCase(), `${TOKEN} `]),
            name: nameCase('Webhook-Signature'),
            noise: noiseHeaders,
            layout: layouts,
            encoding: fc.constantFrom<BodyEncoding>('base64', 'base64', 'text', 'broken-base64'),
          }),
        ),
        async ({ body, credential, name, noise, layout, encoding }) => {
          const headers: Array<[string, string]> = [
            ...noise.filter(([n]) => n.toLowerCase() !== 'webhook-signature'),
            ...credential.values.map((v): [string, string] => [name, v]),
          ];
          const result = await deliver(
            'forged signature',
            signature,
            proxyEvent(body, headers, credential.trick.includes('ambiguous') ? 'both' : layout, encoding),
            body,
            true,
          );
          const expected = encoding === 'broken-base64' ? 400 : 401;
          if (result.statusCode !== expected)
            throw new Error(`${credential.trick} (${encoding}, ${layout}): expected ${expected}, got ${result.statusCode}`);
        },
      ),
      assertConfig(runs(3000)),
    );
  }, 120_000);

  it('accepts an authentic delivery exactly when its body is a UTF-8 JSON object, with that body on the bus', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyBody(SENTINELS).chain((body) =>
          fc.record({
            body: fc.constant(body),
            signed: fc.constantFrom(...signedMessages(body)),
            token: fc.constantFrom(TOKEN, TOKEN, PREVIOUS),
            name: nameCase('Webhook-Signature'),
            padding: fc.constantFrom('', ' ', '\t', '  '),
            copies: fc.integer({ min: 1, max: 3 }),
            noise: noiseHeaders,
            layout: layouts,
            encoding: fc.constantFrom<BodyEncoding>('base64', 'text'),
          }),
        ),
        async ({ body, signed, token, name, padding, copies, noise, layout, encoding }) => {
          const value = `${padding}${hmacBase64(token, signed.message)}${padding}`;
          watch.add('signature', value.trim());
          // A text body is whatever UTF-8 turns it into; only valid UTF-8 survives that unchanged.
          const wire = encoding === 'text' && !Buffer.from(body.toString('utf8'), 'utf8').equals(body) ? 'base64' : encoding;
          const headers: Array<[string, string]> = [
            ...noise.filter(([n]) => n.toLowerCase() !== 'webhook-signature'),
            ...Array.from({ length: copies }, (): [string, string] => [name, value]),
          ];
          const result = await deliver('authentic signature', signature, proxyEvent(body, headers, layout, wire), body, false);
          // What was signed is what gets published, so that is what must be a JSON object:
          // a json.dumps form holding NaN or Infinity (from 1e400) cannot be, whatever the raw body.
          const expected = isJsonObjectBody(publishedText(body, signed)) ? 200 : 400;
          if (result.statusCode !== expected)
            throw new Error(`${signed.form} form, ${wire}, ${layout}: expected ${expected}, got ${result.statusCode} ${result.body}`);
          if (expected === 200) {
            const { deliveryId } = JSON.parse(result.body) as { deliveryId: string };
            const onBus = emulator
              .events()
              .filter((event) => (event.detail as { metadata: { deliveryId: string } }).metadata.deliveryId === deliveryId);
            const sha = createHash('sha256').update(body).digest('hex');
            if (!onBus.some((event) => (event.detail as { metadata: { bodySha256: string } }).metadata.bodySha256 === sha))
              throw new Error('accepted but not on the bus with its body');
          }
        },
      ),
      assertConfig(runs(2000)),
    );
  }, 120_000);

  it('token mode: only the exact token (current, or previous in grace) is accepted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          body: anyBody(SENTINELS),
          presented: fc.oneof(
            fc.constantFrom(TOKEN, PREVIOUS, ` ${TOKEN} `).map((value) => ({ value: [value], genuine: true })),
            fc
              .oneof(
                fc.string({ maxLength: 60 }),
                fc.constantFrom(
                  TOKEN.slice(0, -1),
                  `${TOKEN}x`,
                  TOKEN.toUpperCase(),
                  TOKEN.normalize('NFD'),
                  STRANGER,
                  EXPIRED,
                  `Bearer ${TOKEN}`,
                  `${TOKEN},${TOKEN}`,
                  '',
                ),
                fc
                  .integer({ min: 0, max: TOKEN.length - 1 })
                  .map((i) => TOKEN.slice(0, i) + String.fromCharCode(TOKEN.charCodeAt(i) ^ 1) + TOKEN.slice(i + 1)),
              )
              .filter((value) => value.trim() !== TOKEN && value.trim() !== PREVIOUS)
              .map((value) => ({ value: [value], genuine: false })),
            fc.string({ maxLength: 10 }).map((junk) => ({ value: [TOKEN, `${junk}!`], genuine: false })),
          ),
          name: nameCase('Webhook-Token'),
          noise: noiseHeaders,
          layout: layouts,
        }),
        async ({ body, presented, name, noise, layout }) => {
          const headers: Array<[string, string]> = [
            ...noise.filter(([n]) => n.toLowerCase() !== 'webhook-token'),
            ...presented.value.map((v): [string, string] => [name, v]),
          ];
          const result = await deliver(
            presented.genuine ? 'authentic token' : 'forged token',
            tokenMode,
            proxyEvent(body, headers, presented.value.length > 1 ? 'both' : layout, 'base64'),
            body,
            !presented.genuine,
          );
          const expected = !presented.genuine ? 401 : isJsonObjectBody(body) ? 200 : 400;
          if (result.statusCode !== expected)
            throw new Error(`token mode, ${presented.genuine ? 'genuine' : 'forged'}: expected ${expected}, got ${result.statusCode}`);
        },
      ),
      assertConfig(runs(800)),
    );
  }, 120_000);

  it('sizes around the limit: 413 above it (before any hashing), never 5xx, and an expired previous token is 401', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          size: fc.integer({ min: TIGHT_LIMIT - 600, max: TIGHT_LIMIT + 64 }),
          token: fc.constantFrom(TOKEN, TOKEN, EXPIRED),
          encoding: fc.constantFrom<BodyEncoding>('base64', 'text'),
          filler: fc.constantFrom('x', 'é', '😀', '"'),
        }),
        async ({ size, token, encoding, filler }) => {
          const head = '{"event":"document_upload","blob":"';
          const fill = JSON.stringify(filler).slice(1, -1);
          let text = head;
          while (Buffer.byteLength(text) + Buffer.byteLength(fill) + 2 <= size) text += fill;
          text += '"}';
          const body = Buffer.from(text, 'utf8');
          const headers: Array<[string, string]> = [['Webhook-Signature', hmacBase64(token, body)]];
          const result = await deliver('sizes', tight, proxyEvent(body, headers, 'both', encoding), body, token === EXPIRED);
          const status = result.statusCode;
          const ok = body.length > TIGHT_LIMIT ? status === 413 : token === EXPIRED ? status === 401 : status === 200 || status === 413;
          if (!ok)
            throw new Error(`${body.length} bytes (${encoding}, ${token === EXPIRED ? 'expired token' : 'current token'}): got ${status}`);
        },
      ),
      assertConfig(runs(400)),
    );
  }, 120_000);

  const TARGETED = [
    ['100,000 nested arrays', `{"event":"x","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'raw', 200],
    ['100,000 nested objects', `{"event":"x","deep":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`, 'raw', 200],
    [
      '600 nested arrays (deeper than the canonical form goes)',
      `{"event":"x","deep":${'['.repeat(600)}${']'.repeat(600)}}`,
      'python-json',
      401,
    ],
    ['400 nested arrays', `{"event":"x","deep":${'['.repeat(400)}${']'.repeat(400)}}`, 'python-json', 200],
    ['1 MiB of [ (not JSON)', '['.repeat(1024 * 1024 - 8), 'raw', 400],
    ['a 5,000-digit integer', `{"n":${'7'.repeat(5000)}}`, 'raw', 200],
    ['a 5,000-digit integer (CPython refuses over 4300 digits)', `{"n":${'7'.repeat(5000)}}`, 'python-json', 401],
    ['1e400 and -0', '{"a":1e400,"b":-0,"c":1E+2}', 'raw', 200],
    ['1e400 (Python signs Infinity, which JSON cannot carry) and -0', '{"a":1e400,"b":-0,"c":1E+2}', 'python-json', 400],
    ['-0 and 1E+2', '{"b":-0,"c":1E+2}', 'python-json', 200],
    ['NaN (Python json.dumps can write it; JSON cannot carry it)', '{"a":NaN}', 'python-json', 400],
    [
      '__proto__ and constructor keys',
      '{"__proto__":{"admin":true},"constructor":{"prototype":1},"event":"profile_update"}',
      'python-json',
      200,
    ],
    ['a UTF-8 byte-order mark', '\ufeff{"event":"profile_update"}', 'raw', 200],
    ['duplicate keys', '{"status":"REJECTED","status":"APPROVED"}', 'python-json', 200],
  ] as const;

  it.each(TARGETED.map(([label, text, form, expected]) => ({ label, text, form, expected })))(
    '$label, signed over the $form form -> $expected',
    async ({ text, form, expected }) => {
      const body = Buffer.from(text, 'utf8');
      const message = form === 'raw' ? body : signedMessages(body).find((m) => m.form === 'python-json')?.message;
      // A form that does not exist is signed over something else entirely: the receiver cannot match it.
      const signed = hmacBase64(TOKEN, message ?? Buffer.from(`{"n": ${'7'.repeat(5000)}}`));
      watch.add('signature', signed);
      const result = await deliver(
        'targeted',
        signature,
        proxyEvent(body, [['Webhook-Signature', signed]], 'both', 'base64'),
        body,
        expected !== 200,
      );
      expect(result.statusCode).toBe(expected);
    },
  );
});

describe('hostile input: over every run', () => {
  it('keeps the delivery invariant and leaks nothing', () => {
    const copies: StoredCopy[] = resources.flatMap((r) => storedCopies(emulator, r));
    expect(ledger.violations(copies)).toEqual([]);
    expect(hygieneProblems(output, watch)).toEqual([]);
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(runs(6000));
    // No 5xx anywhere: the dependencies were healthy.
    expect(
      Object.values(statuses)
        .flatMap((byStatus) => Object.keys(byStatus).map(Number))
        .filter((status) => status >= 500),
    ).toEqual([]);
    writeReport('hostile-input', { cases: tried, total, statuses });
  });
});
