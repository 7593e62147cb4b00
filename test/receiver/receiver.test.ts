import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { amaniSignature } from '../helpers/amani-signing';
import { webhookEvent } from '../../local/api-gateway-events';
import { receiverHarness, type ReceiverHarness } from '../helpers/receiver-harness';
import { fakeLambdaContext } from '../helpers/lambda-context';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createReceiverHandler } from '../../lambda/receiver/handler';

const TOKEN = 'current-token-0123456789';
const OLD_TOKEN = 'previous-token-9876543210';
/** Personal data that must never reach a log line or a metric. */
const PII = { name: 'Zeynep Sentinel-Yılmaz', id_number: '98765432101', birth_date: '1990-04-01' };

function delivery(extra: Record<string, unknown> = {}) {
  return JSON.stringify({ event: 'profile_status_change', delivery_id: 'dlv-001', profile: { ...PII, status: 'APPROVED' }, ...extra });
}

function signed(body: string | Buffer, token = TOKEN, headerName = 'Webhook-Signature') {
  return webhookEvent({ body, headers: { [headerName]: amaniSignature(token, body), 'Content-Type': 'application/json' } });
}

let h: ReceiverHarness;
afterEach(() => {
  // Whatever a test did, nothing secret or personal may have been written anywhere.
  const text = h.output.text();
  for (const forbidden of [TOKEN, OLD_TOKEN, PII.name, PII.id_number, PII.birth_date, 'Sentinel']) {
    expect(text).not.toContain(forbidden);
  }
  h.dispose();
});

describe('signature mode', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it('accepts a delivery signed over the raw body and publishes the contract entry', async () => {
    const body = delivery();
    const result = await h.invoke(signed(body));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ deliveryId: 'dlv-001' });
    const [entry, ...more] = h.publishedEntries();
    expect(more).toHaveLength(0);
    expect(entry).toMatchObject({ Source: 'amani', DetailType: 'profile_status_change', EventBusName: 'amani-test' });
    const detail = JSON.parse(entry!.Detail!);
    expect(detail.data).toEqual(JSON.parse(body));
    expect(detail.metadata).toEqual({
      version: '1',
      deliveryId: 'dlv-001',
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      authMode: 'signature',
      signatureForm: 'raw',
      tokenGeneration: 'current',
      bodySha256: createHash('sha256').update(body).digest('hex'),
      requestId: 'req-0001',
    });
    expect(h.output.metric('DeliveryAccepted')).toBe(1);
    const accepted = h.output.logs().find((line) => line.message === 'delivery accepted');
    expect(accepted).toMatchObject({ deliveryId: 'dlv-001', eventName: 'profile_status_change', outcome: 'published', status: 200 });
    expect(typeof accepted?.latencyMs).toBe('number');
  });

  it("accepts a delivery signed over Python's json.dumps of a differently serialised body", async () => {
    const wire = JSON.stringify({ event: 'profile_update', name: 'Zoë 😀 Müller', score: 1.0, big: 12345678901234567000, ratio: 1e-7 });
    const python = spawnSync('python3', ['-c', 'import sys,json;sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))'], {
      input: wire,
      encoding: 'utf8',
    });
    expect(python.status).toBe(0);
    expect(python.stdout).not.toBe(wire);
    const event = webhookEvent({ body: wire, headers: { 'Webhook-Signature': amaniSignature(TOKEN, python.stdout) } });
    const result = await h.invoke(event);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(h.publishedEntries()[0]!.Detail!).metadata.signatureForm).toBe('python-json');
  });

  it.each([
    ['lower case', 'webhook-signature'],
    ['upper case', 'WEBHOOK-SIGNATURE'],
    ['mixed case', 'wEbHoOk-SiGnAtUrE'],
  ])('finds the signature header in %s', async (_, headerName) => {
    const result = await h.invoke(signed(delivery(), TOKEN, headerName));
    expect(result.statusCode).toBe(200);
  });

  it('decodes base64 bodies from API Gateway (binary media types) before verifying', async () => {
    const body = Buffer.from(delivery({ note: 'çğıöşü' }), 'utf8');
    const event = webhookEvent({ body, base64: true, headers: { 'Webhook-Signature': amaniSignature(TOKEN, body) } });
    expect(event.isBase64Encoded).toBe(true);
    const result = await h.invoke(event);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(h.publishedEntries()[0]!.Detail!).data.note).toBe('çğıöşü');
  });

  const body = delivery();
  const goodSignature = amaniSignature(TOKEN, body);
  it.each([
    ['no signature header', {}],
    ['an empty signature', { 'Webhook-Signature': '' }],
    ['a hex digest instead of base64', { 'Webhook-Signature': createHash('sha256').update(body).digest('hex') }],
    ['a truncated signature', { 'Webhook-Signature': goodSignature.slice(0, 40) }],
    ['an unpadded signature', { 'Webhook-Signature': goodSignature.replace(/=$/, '') }],
    ['base64url characters', { 'Webhook-Signature': `${goodSignature.replace(/\+/g, '-').replace(/\//g, '_')}x` }],
    ['a signature with a scheme prefix', { 'Webhook-Signature': `sha256=${goodSignature}` }],
    ['a signature made with another token', { 'Webhook-Signature': amaniSignature('not-the-token', body) }],
    ['a signature of another body', { 'Webhook-Signature': amaniSignature(TOKEN, `${body} `) }],
    ['the token itself', { 'Webhook-Signature': TOKEN }],
  ])('answers one generic 401 for %s', async (_, headers) => {
    const result = await h.invoke(webhookEvent({ body, headers: headers as Record<string, string> }));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({ message: 'Unauthorized' });
    expect(h.publishedEntries()).toHaveLength(0);
    expect(h.output.metric('DeliveryRejected')).toBe(1);
  });

  it('rejects a request carrying two different signature headers', async () => {
    const event = webhookEvent({
      body,
      multiValueHeaders: { 'Webhook-Signature': [goodSignature, amaniSignature('x', body)] },
      headers: { 'Webhook-Signature': goodSignature },
    });
    const result = await h.invoke(event);
    expect(result.statusCode).toBe(401);
    expect(h.output.logs().some((line) => line.reason === 'ambiguous-credential')).toBe(true);
  });

  it('rejects a tampered body even though it still parses', async () => {
    const event = signed(body);
    event.body = body.replace('APPROVED', 'REJECTED');
    expect((await h.invoke(event)).statusCode).toBe(401);
  });

  it('authenticates before validating: a forged non-JSON body is 401, an authentic one is 400', async () => {
    expect(
      (await h.invoke(webhookEvent({ body: 'not json', headers: { 'Webhook-Signature': amaniSignature('x', 'not json') } }))).statusCode,
    ).toBe(401);
    for (const authentic of ['not json', '[1,2,3]', '"a string"', 'null', '42', '', '{"unterminated": ']) {
      const result = await h.invoke(signed(authentic));
      expect({ body: authentic, status: result.statusCode }).toEqual({ body: authentic, status: 400 });
    }
    expect(h.publishedEntries()).toHaveLength(0);
  });

  it('answers 400 for an authentic body that is not valid UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"event":"x","name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const event = webhookEvent({ body: bytes, base64: true, headers: { 'Webhook-Signature': amaniSignature(TOKEN, bytes) } });
    const result = await h.invoke(event);
    expect(result.statusCode).toBe(400);
    expect(h.output.logs().some((line) => line.reason === 'invalid-encoding')).toBe(true);
  });

  it('answers 400 when API Gateway hands over invalid base64', async () => {
    const event = signed(body);
    event.isBase64Encoded = true;
    event.body = '%%%not-base64%%%';
    expect((await h.invoke(event)).statusCode).toBe(400);
  });

  it('answers 413 for an oversized body before reading the secret or hashing', async () => {
    h.dispose();
    h = receiverHarness({ secret: { token: TOKEN }, config: { maxBodyBytes: 2048 } });
    const big = JSON.stringify({ event: 'zip_file_create', padding: 'x'.repeat(4096) });
    expect((await h.invoke(signed(big))).statusCode).toBe(413);
    expect((await h.invoke(webhookEvent({ body: Buffer.from(big), base64: true, headers: {} }))).statusCode).toBe(413);
    expect(h.secretReads()).toBe(0);
    expect(h.output.metric('DeliveryRejected', { name: 'Reason', value: 'body-too-large' })).toBe(2);
  });

  it('answers 413 when the authentic body would make an event over the bus entry limit', async () => {
    h.dispose();
    h = receiverHarness({ secret: { token: TOKEN }, config: { maxEventBytes: 2048 } });
    const big = JSON.stringify({ event: 'zip_file_create', padding: 'x'.repeat(2048) });
    expect((await h.invoke(signed(big))).statusCode).toBe(413);
    expect(h.publishedEntries()).toHaveLength(0);
  });
});

describe('event name and delivery id', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it('takes the event name from the first configured path present, else "webhook"', async () => {
    await h.invoke(signed(JSON.stringify({ type: 'document_upload', event_type: 'profile_update' })));
    await h.invoke(signed(JSON.stringify({ something: 'else' })));
    await h.invoke(signed(JSON.stringify({ event: { nested: true }, event_name: 'video_call_status_change' })));
    expect(h.publishedEntries().map((entry) => entry.DetailType)).toEqual(['profile_update', 'webhook', 'video_call_status_change']);
  });

  it('uses the SHA-256 of the raw body when the body has no id, so a retry keeps its id', async () => {
    const body = JSON.stringify({ event: 'profile_create', id: 'profile-42' });
    const first = await h.invoke(signed(body));
    const retry = await h.invoke(signed(body));
    const expected = createHash('sha256').update(body).digest('hex');
    expect(JSON.parse(first.body).deliveryId).toBe(expected);
    expect(JSON.parse(retry.body).deliveryId).toBe(expected);
  });
});

describe('token mode', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN }, config: { authMode: 'token', tokenHeader: 'X-Amani-Token' } });
  });

  it('accepts the token in the configured header, any case', async () => {
    const result = await h.invoke(webhookEvent({ body: delivery(), headers: { 'x-amani-token': TOKEN } }));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(h.publishedEntries()[0]!.Detail!).metadata).toMatchObject({ authMode: 'token', tokenGeneration: 'current' });
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { 'X-Amani-Token': 'wrong' }],
    ['a token with an extra character', { 'X-Amani-Token': `${TOKEN}x` }],
    ['a prefix of the token', { 'X-Amani-Token': TOKEN.slice(0, -1) }],
    ['the token in the default header instead of the configured one', { 'Webhook-Token': TOKEN }],
  ])('answers 401 for %s', async (_, headers) => {
    const result = await h.invoke(webhookEvent({ body: delivery(), headers: headers as Record<string, string> }));
    expect(result.statusCode).toBe(401);
    expect(JSON.parse(result.body)).toEqual({ message: 'Unauthorized' });
  });
});

describe('previous token and its grace window', () => {
  it.each(['signature', 'token'] as const)('%s mode: accepted inside the grace window, 401 after it', async (authMode) => {
    const validUntil = new Date(Date.now() + 60_000).toISOString();
    h = receiverHarness({
      secret: { token: TOKEN, previousToken: OLD_TOKEN, previousTokenValidUntil: validUntil },
      config: { authMode },
    });
    const request = () =>
      authMode === 'signature'
        ? signed(delivery(), OLD_TOKEN)
        : webhookEvent({ body: delivery(), headers: { 'Webhook-Token': OLD_TOKEN } });
    const inside = await h.invoke(request());
    expect(inside.statusCode).toBe(200);
    expect(JSON.parse(h.publishedEntries()[0]!.Detail!).metadata.tokenGeneration).toBe('previous');

    h.setSecret({ token: TOKEN, previousToken: OLD_TOKEN, previousTokenValidUntil: new Date(Date.now() - 1).toISOString() });
    h.dispose();
    h = receiverHarness({
      secret: { token: TOKEN, previousToken: OLD_TOKEN, previousTokenValidUntil: new Date(Date.now() - 1).toISOString() },
      config: { authMode },
    });
    const after = await h.invoke(request());
    expect(after.statusCode).toBe(401);
    expect(h.output.metric('DeliveryRejected', { name: 'Reason', value: 'expired-token' })).toBe(1);
  });

  it('never accepts a previous token without an end of grace', async () => {
    h = receiverHarness({ secret: { token: TOKEN, previousToken: OLD_TOKEN } });
    expect((await h.invoke(signed(delivery(), OLD_TOKEN))).statusCode).toBe(401);
  });
});

describe('token secret cache', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it('reads the secret once per TTL across deliveries', async () => {
    for (let i = 0; i < 5; i++) expect((await h.invoke(signed(delivery({ n: i })))).statusCode).toBe(200);
    expect(h.secretReads()).toBe(1);
  });

  it('shares one read among concurrent deliveries on a cold container', async () => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => h.invoke(signed(delivery({ n: i })))));
    expect(results.every((result) => result.statusCode === 200)).toBe(true);
    expect(h.secretReads()).toBe(1);
  });

  it('picks up a rotation at once: the first delivery with the new token refreshes the cache', async () => {
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(200);
    h.setSecret({ token: 'rotated-token', previousToken: TOKEN, previousTokenValidUntil: new Date(Date.now() + 60_000).toISOString() });
    expect((await h.invoke(signed(delivery(), 'rotated-token'))).statusCode).toBe(200);
    expect(h.secretReads()).toBe(2);
    expect((await h.invoke(signed(delivery(), TOKEN))).statusCode).toBe(200);
  });

  it('does not let forged deliveries turn into one Secrets Manager call each', async () => {
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(200);
    const forged = await Promise.all(Array.from({ length: 50 }, (_, i) => h.invoke(signed(delivery({ n: i }), `attacker-${i}`))));
    expect(forged.every((result) => result.statusCode === 401)).toBe(true);
    // The initial read, then forced reads at most once per 200 ms interval for the whole burst.
    expect(h.secretReads()).toBeGreaterThanOrEqual(2);
    expect(h.secretReads()).toBeLessThanOrEqual(3);
  });

  it('cannot be starved by forged deliveries: a genuine one right after a rotation still gets a fresh read', async () => {
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(200);
    // A forged delivery uses up the forced refresh of this interval...
    expect((await h.invoke(signed(delivery(), 'attacker'))).statusCode).toBe(401);
    const readsBefore = h.secretReads();
    // ...then Amani rotates and signs with the new token: that delivery waits for the next allowed read.
    h.setSecret({ token: 'rotated-token', previousToken: TOKEN, previousTokenValidUntil: new Date(Date.now() + 60_000).toISOString() });
    expect((await h.invoke(signed(delivery(), 'rotated-token'))).statusCode).toBe(200);
    expect(h.secretReads()).toBe(readsBefore + 1);
  });

  it('answers 503, never 401, when the secret cannot be read', async () => {
    h.secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('boom'), { name: 'InternalServiceError' }));
    const result = await h.invoke(signed(delivery()));
    expect(result.statusCode).toBe(503);
    expect(h.publishedEntries()).toHaveLength(0);
    expect(h.output.metric('DeliveryFailed')).toBe(1);
  });

  it('answers 503 while the secret is not bootstrapped', async () => {
    h.setSecret({});
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(503);
  });

  it('answers 503 when a failed verification cannot refresh the secret', async () => {
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(200);
    h.secretsManager.on(GetSecretValueCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    expect((await h.invoke(signed(delivery(), 'rotated-token'))).statusCode).toBe(503);
  });
});

describe('publishing', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it('retries an entry that failed with a retryable code, then answers 200', async () => {
    h.eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-2' }] });
    const result = await h.invoke(signed(delivery()));
    expect(result.statusCode).toBe(200);
    expect(h.eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(h.output.metric('PublishRetries')).toBe(2);
    expect(h.sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('retries whole-call throttling and server errors', async () => {
    h.eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(Object.assign(new Error('oops'), { name: 'InternalException', $fault: 'server', $metadata: { httpStatusCode: 500 } }))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-3' }] });
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(200);
    expect(h.eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('parks the delivery in the fallback queue when the bus keeps refusing, and answers 202', async () => {
    h.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    const body = delivery();
    const result = await h.invoke(signed(body));
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ deliveryId: 'dlv-001' });
    const [parked, ...more] = h.parkedMessages();
    expect(more).toHaveLength(0);
    expect(parked).toMatchObject({
      version: 1,
      deliveryId: 'dlv-001',
      entry: { Source: 'amani', DetailType: 'profile_status_change', EventBusName: 'amani-test' },
    });
    expect(JSON.parse(parked.entry.Detail).data).toEqual(JSON.parse(body));
    expect(parked.reason).toContain('ThrottlingException');
    expect(h.output.metric('FallbackUsed')).toBe(1);
  });

  it('does not retry a non-retryable entry error before parking it', async () => {
    h.eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail' }] });
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(202);
    expect(h.eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('parks the delivery when PutEvents is denied', async () => {
    h.eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    expect((await h.invoke(signed(delivery()))).statusCode).toBe(202);
    expect(h.eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('answers 503 when both the bus and the fallback queue fail', async () => {
    h.eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    h.sqs.on(SendMessageCommand).rejects(Object.assign(new Error('sqs down'), { name: 'InternalError', $fault: 'server' }));
    const result = await h.invoke(signed(delivery()));
    expect(result.statusCode).toBe(503);
    expect(h.output.metric('DeliveryFailed')).toBe(1);
    expect(h.output.logs().some((line) => line.reason === 'bus-and-fallback-failed')).toBe(true);
  });

  it('keeps retries inside the publish budget, leaving time for the fallback', async () => {
    h.eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const started = Date.now();
    const result = await h.invoke(signed(delivery()), 2500);
    expect(result.statusCode).toBe(202);
    // remaining 2500 ms - fallback budget 1000 ms - safety margin 500 ms = 1000 ms of publishing at most.
    expect(Date.now() - started).toBeLessThan(2500);
  });
});

describe('delivery id of a re-serialised delivery', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it('is the hash of the signed form, so a re-serialised copy of a genuine delivery keeps the id', async () => {
    const payload = { event: 'profile_update', name: 'Zoë', score: 1.5 };
    const python = spawnSync('python3', ['-c', 'import sys,json;sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))'], {
      input: JSON.stringify(payload),
      encoding: 'utf8',
    }).stdout;
    const signature = amaniSignature(TOKEN, python);
    const asSigned = await h.invoke(webhookEvent({ body: python, headers: { 'Webhook-Signature': signature } }));
    const compact = await h.invoke(webhookEvent({ body: JSON.stringify(payload), headers: { 'Webhook-Signature': signature } }));
    const spaced = await h.invoke(webhookEvent({ body: JSON.stringify(payload, null, 2), headers: { 'Webhook-Signature': signature } }));
    const ids = [asSigned, compact, spaced].map((result) => JSON.parse(result.body).deliveryId);
    expect([asSigned.statusCode, compact.statusCode, spaced.statusCode]).toEqual([200, 200, 200]);
    expect(new Set(ids)).toEqual(new Set([createHash('sha256').update(python).digest('hex')]));
    // bodySha256 still names the exact bytes received.
    const metadata = h.publishedEntries().map((entry) => JSON.parse(entry.Detail!).metadata);
    expect(new Set(metadata.map((m) => m.bodySha256)).size).toBe(3);
  });
});

describe('what reaches the bus is what was signed', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  const pythonDumps = (text: string): string => {
    const python = spawnSync('python3', ['-c', 'import sys,json;sys.stdout.write(json.dumps(json.loads(sys.stdin.read())))'], {
      input: text,
      encoding: 'utf8',
    });
    expect(python.status).toBe(0);
    return python.stdout;
  };
  /** The text of `data` inside the published Detail, exactly as consumers receive it. */
  const publishedDataText = (): string => {
    const detail = h.publishedEntries().at(-1)!.Detail!;
    const prefix = detail.indexOf(',"data":');
    expect(prefix).toBeGreaterThan(0);
    return detail.slice(prefix + ',"data":'.length, -1);
  };

  it('publishes the signed json.dumps text, not a captured body re-sent with a smuggled duplicate key', async () => {
    const genuine = JSON.stringify({ event: 'profile_status_change', delivery_id: 'dlv-dup', profile: { status: 'REJECTED' } });
    const signedText = pythonDumps(genuine);
    const signature = amaniSignature(TOKEN, signedText);
    // Python keeps the last "status", so the canonical form (and the signature) still match;
    // a consumer that keeps the first would read APPROVED from the raw bytes.
    const smuggled = '{"event":"profile_status_change","delivery_id":"dlv-dup","profile":{"status":"APPROVED","status":"REJECTED"}}';
    expect(pythonDumps(smuggled)).toBe(signedText);
    const result = await h.invoke(webhookEvent({ body: smuggled, headers: { 'Webhook-Signature': signature } }));
    expect(result.statusCode).toBe(200);
    expect(publishedDataText()).toBe(signedText);
    expect(h.publishedEntries().at(-1)!.Detail).not.toContain('APPROVED');
    const detail = JSON.parse(h.publishedEntries().at(-1)!.Detail!);
    expect(detail.metadata).toMatchObject({
      signatureForm: 'python-json',
      bodySha256: createHash('sha256').update(smuggled).digest('hex'),
    });
  });

  it('publishes numbers as Python signed them, not extra digits an attacker appended', async () => {
    const signedText = pythonDumps('{"event": "profile_update", "score": 0.1, "big": 1e16, "tiny": 1e-7}');
    expect(signedText).toBe('{"event": "profile_update", "score": 0.1, "big": 1e+16, "tiny": 1e-07}');
    const padded = '{"event":"profile_update","score":0.1000000000000000055511151231257827,"big":10000000000000000.0,"tiny":0.000000100}';
    expect(pythonDumps(padded)).toBe(signedText);
    const result = await h.invoke(webhookEvent({ body: padded, headers: { 'Webhook-Signature': amaniSignature(TOKEN, signedText) } }));
    expect(result.statusCode).toBe(200);
    expect(publishedDataText()).toBe(signedText);
    expect(JSON.parse(publishedDataText())).toEqual({ event: 'profile_update', score: 0.1, big: 1e16, tiny: 1e-7 });
  });

  it('publishes the signed text of a non-ASCII body (ensure_ascii escapes), still valid JSON', async () => {
    const wire = JSON.stringify({ event: 'profile_update', name: 'Zoë 😀 Đorđević' });
    const signedText = pythonDumps(wire);
    const result = await h.invoke(webhookEvent({ body: wire, headers: { 'Webhook-Signature': amaniSignature(TOKEN, signedText) } }));
    expect(result.statusCode).toBe(200);
    expect(publishedDataText()).toBe(signedText);
    expect(JSON.parse(publishedDataText()).name).toBe('Zoë 😀 Đorđević');
  });

  it('keeps the raw bytes when the raw body itself was signed', async () => {
    const wire = '{"event":"profile_update","score":0.10,"name":"Zoë"}';
    const result = await h.invoke(webhookEvent({ body: wire, headers: { 'Webhook-Signature': amaniSignature(TOKEN, wire) } }));
    expect(result.statusCode).toBe(200);
    expect(publishedDataText()).toBe(wire);
    expect(JSON.parse(h.publishedEntries().at(-1)!.Detail!).metadata.signatureForm).toBe('raw');
  });

  it('refuses (400) a canonical form Python signed with NaN, which JSON and EventBridge cannot carry', async () => {
    const wire = '{"event":"profile_update","score":NaN}';
    const signedText = pythonDumps(wire);
    const result = await h.invoke(webhookEvent({ body: wire, headers: { 'Webhook-Signature': amaniSignature(TOKEN, signedText) } }));
    expect(result.statusCode).toBe(400);
    expect(h.publishedEntries()).toHaveLength(0);
  });
});

describe('malformed events from the integration', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it.each([
    ['a null value in headers', { headers: { 'Webhook-Signature': null }, multiValueHeaders: {} }],
    ['a null entry in multiValueHeaders', { headers: {}, multiValueHeaders: { 'Webhook-Signature': [null] } }],
    ['a non-string header value', { headers: { 'Webhook-Signature': 42 }, multiValueHeaders: { 'Webhook-Signature': [42] } }],
    ['null header maps', { headers: null, multiValueHeaders: null }],
  ])('treats %s as a missing credential: 401, never 503 or 500', async (_name, overrides) => {
    const event = { ...signed(delivery()), ...overrides } as unknown as Parameters<ReceiverHarness['invoke']>[0];
    const result = await h.invoke(event);
    expect(result.statusCode).toBe(401);
    expect(h.output.metric('DeliveryFailed')).toBe(0);
    expect(h.publishedEntries()).toHaveLength(0);
  });

  it.each([
    ['an object', { not: 'text' }],
    ['a number', 12345],
    ['an array', ['a']],
  ])('answers 400 for a body that is %s, never 500', async (_name, body) => {
    const event = { ...signed(delivery()), body } as unknown as Parameters<ReceiverHarness['invoke']>[0];
    const result = await h.invoke(event);
    expect(result.statusCode).toBe(400);
    expect(h.output.metric('DeliveryFailed')).toBe(0);
  });

  it('answers 500 (not 503 "token-secret-unavailable") when verification itself throws', async () => {
    // A bug inside verification must surface as one, not hide behind the secret's label.
    const secretWithBug = Object.defineProperty({}, 'token', {
      enumerable: true,
      get: () => {
        throw new Error('simulated bug in verification');
      },
    });
    const handler = createReceiverHandler({
      config: h.config,
      tokens: { generation: () => 0, get: async () => secretWithBug, refreshSince: async () => secretWithBug },
      bus: { publish: async () => ({ ok: true, eventId: 'event-1', attempts: 1 }) },
      fallback: { park: async () => undefined },
      logger: new Logger({ serviceName: 'receiver-test' }),
      metrics: new Metrics({ namespace: 'AmaniWebhooksTest', serviceName: 'receiver-test' }),
    });
    const result = (await handler(signed(delivery()), fakeLambdaContext(10_000))) as { statusCode: number };
    expect(result.statusCode).toBe(500);
    expect(h.output.logs().some((line) => line.reason === 'token-secret-unavailable')).toBe(false);
    expect(h.output.logs().some((line) => line.message === 'unexpected receiver error')).toBe(true);
  });
});
