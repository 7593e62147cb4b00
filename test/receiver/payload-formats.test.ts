/**
 * Contract tests of the two integrations the stack can put in front of the receiver, through the
 * real handler (middy, adapters, SDK clients mocked at the client): a REST API's Lambda proxy
 * event (payload format 1.0, `api=rest`) and an HTTP API's payload format 2.0 (`api=http`). The
 * same delivery gives the same answer and the same bus entry whichever format carried it.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { httpApiWebhookEvent, webhookEvent } from '../../local/api-gateway-events';
import type { ApiGatewayEvent } from '../../lambda/receiver/api-gateway';
import { amaniSignature } from '../helpers/amani-signing';
import { receiverHarness, type ReceiverHarness } from '../helpers/receiver-harness';

const TOKEN = 'current-token-0123456789';
const PII = { name: 'Zeynep Sentinel-Yılmaz', id_number: '98765432101' };
const BODY = JSON.stringify({ event: 'document_upload', delivery_id: 'dlv-payload-1', profile: { ...PII, note: 'çğıöşü 😀' } });

interface Delivery {
  readonly body: string | Buffer;
  readonly headers: Record<string, string | string[]>;
  readonly base64?: boolean;
  readonly cookies?: string[];
}

/** Each format's event for the same request as it left Amani. */
const FORMATS: ReadonlyArray<[string, (delivery: Delivery) => ApiGatewayEvent, string]> = [
  [
    'REST API, payload format 1.0',
    ({ body, headers, base64, cookies }) => {
      const single: Record<string, string> = {};
      const multi: Record<string, string[]> = {};
      for (const [name, value] of Object.entries({ ...headers, ...(cookies ? { Cookie: cookies.join('; ') } : {}) })) {
        const values = Array.isArray(value) ? value : [value];
        single[name] = values[values.length - 1] as string;
        multi[name] = values;
      }
      // The stack's binary media type */* hands every REST body over base64-encoded.
      return webhookEvent({ body: Buffer.from(body), base64: base64 ?? true, headers: single, multiValueHeaders: multi });
    },
    'req-0001',
  ],
  [
    'HTTP API, payload format 2.0',
    ({ body, headers, base64, cookies }) =>
      httpApiWebhookEvent({ body, headers, ...(cookies ? { cookies } : {}), base64: base64 ?? false }),
    'req-v2-0001',
  ],
];

let h: ReceiverHarness;
afterEach(() => {
  const text = h.output.text();
  for (const forbidden of [TOKEN, PII.name, PII.id_number]) expect(text).not.toContain(forbidden);
  h.dispose();
});

describe.each(FORMATS)('%s', (_format, eventFor, requestId) => {
  const answer = (result: APIGatewayProxyResult) => ({
    status: result.statusCode,
    body: JSON.parse(result.body) as unknown,
    contentType: result.headers?.['content-type'],
  });

  describe('signature mode', () => {
    beforeEach(() => {
      h = receiverHarness({ secret: { token: TOKEN } });
    });

    it('accepts a signed delivery and publishes the contract entry, with the request id of that format', async () => {
      const result = await h.invoke(eventFor({ body: BODY, headers: { 'Webhook-Signature': amaniSignature(TOKEN, BODY) } }));
      expect(answer(result)).toEqual({ status: 200, body: { deliveryId: 'dlv-payload-1' }, contentType: 'application/json' });
      const [entry, ...more] = h.publishedEntries();
      expect(more).toHaveLength(0);
      expect(entry).toMatchObject({ Source: 'amani', DetailType: 'document_upload', EventBusName: 'amani-test' });
      const detail = JSON.parse(entry!.Detail!);
      expect(detail.data).toEqual(JSON.parse(BODY));
      expect(detail.metadata).toMatchObject({ deliveryId: 'dlv-payload-1', signatureForm: 'raw', requestId });
    });

    it('verifies the exact bytes of a base64 body (binary content types), invalid UTF-8 refused with 400 after authentication', async () => {
      const bytes = Buffer.concat([Buffer.from('{"event":"x","bad":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      const result = await h.invoke(
        eventFor({ body: bytes, base64: true, headers: { 'webhook-signature': amaniSignature(TOKEN, bytes) } }),
      );
      expect(result.statusCode).toBe(400);
      const forged = await h.invoke(eventFor({ body: bytes, base64: true, headers: { 'webhook-signature': amaniSignature('x', bytes) } }));
      expect(forged.statusCode).toBe(401);
      expect(h.publishedEntries()).toHaveLength(0);
    });

    it('finds the signature header whatever its case, next to cookies and other headers', async () => {
      const result = await h.invoke(
        eventFor({
          body: BODY,
          headers: {
            'WEBHOOK-SIGNATURE': amaniSignature(TOKEN, BODY),
            'User-Agent': 'python-requests/2.32',
            'X-Forwarded-For': '192.0.2.10',
          },
          cookies: ['session=abc', 'lang=tr'],
        }),
      );
      expect(result.statusCode).toBe(200);
    });

    it.each([
      ['no signature', {}],
      ['a signature over another body', { 'Webhook-Signature': amaniSignature(TOKEN, `${BODY} `) }],
      [
        'the signature header twice (a good one and a bad one)',
        { 'Webhook-Signature': [amaniSignature(TOKEN, BODY), amaniSignature('x', BODY)] },
      ],
    ])('answers the one generic 401 for %s', async (_case, headers) => {
      const result = await h.invoke(eventFor({ body: BODY, headers: headers as Record<string, string | string[]> }));
      expect(answer(result)).toEqual({ status: 401, body: { message: 'Unauthorized' }, contentType: 'application/json' });
      expect(h.publishedEntries()).toHaveLength(0);
    });

    it('answers 413 for a body over the limit, before reading the secret', async () => {
      h.dispose();
      h = receiverHarness({ secret: { token: TOKEN }, config: { maxBodyBytes: 1024 } });
      const big = JSON.stringify({ event: 'x', pad: 'a'.repeat(2000) });
      const result = await h.invoke(eventFor({ body: big, headers: { 'Webhook-Signature': amaniSignature(TOKEN, big) } }));
      expect(result.statusCode).toBe(413);
      expect(h.secretReads()).toBe(0);
    });

    it('answers 401 (not a crash) for a request without a body', async () => {
      const event = eventFor({ body: '', headers: {} });
      delete (event as { body?: unknown }).body;
      const result = await h.invoke(event);
      expect(result.statusCode).toBe(401);
    });
  });

  describe('token mode', () => {
    beforeEach(() => {
      h = receiverHarness({ secret: { token: TOKEN }, config: { authMode: 'token' } });
    });

    it('accepts the token in its header and refuses it sent twice', async () => {
      expect((await h.invoke(eventFor({ body: BODY, headers: { 'webhook-token': TOKEN } }))).statusCode).toBe(200);
      expect((await h.invoke(eventFor({ body: BODY, headers: { 'Webhook-Token': [TOKEN, 'other'] } }))).statusCode).toBe(401);
      expect(h.publishedEntries()).toHaveLength(1);
    });
  });
});

describe('the same delivery through both formats', () => {
  beforeEach(() => {
    h = receiverHarness({ secret: { token: TOKEN } });
  });

  it('publishes the same entry (but for the request id)', async () => {
    const signature = amaniSignature(TOKEN, BODY);
    const [, rest] = FORMATS[0]!;
    const [, http] = FORMATS[1]!;
    await h.invoke(rest({ body: BODY, headers: { 'Webhook-Signature': signature } }));
    await h.invoke(http({ body: BODY, headers: { 'Webhook-Signature': signature } }));
    const [first, second] = h.publishedEntries().map((entry) => {
      const detail = JSON.parse(entry.Detail!);
      const { receivedAt: _at, requestId: _id, ...metadata } = detail.metadata;
      return { ...entry, Detail: { ...detail, metadata } };
    });
    expect(second).toEqual(first);
  });
});
