/**
 * Hostile input at the HTTP level: raw requests to the local mode (`startLocalStack`: the API
 * Gateway stand-in in front of the real receiver, the AWS fake with its files). What the
 * handler-level fuzzing cannot reach: header names that collide with Object.prototype members,
 * clients that vanish mid-body, malformed HTTP, oversized and repeated headers, chunked bodies,
 * and a deeply nested authentic body all the way into the local event log. The stack must keep
 * answering, never 5xx while healthy, never 2xx without a valid signature, and never let a
 * rejection go unhandled (which would kill `npm start`).
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { LOCAL_NAMES, startLocalStack, type LocalStack } from '../../local/local-stack';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { DeliveryLedger, sha256Hex, storedCopies } from './support/delivery-invariant';
import { anyBody, hmacBase64, isJsonObjectBody } from './support/hostile';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';

const RAW_CASES = 240;

let stack: LocalStack;
let dataDir: string;
let token: string;
let output: CapturedOutput;
let url: URL;
const watch = new LeakWatch();
const ledger = new DeliveryLedger();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const statuses: Record<string, number> = {};
let tried = 0;

beforeAll(async () => {
  output = captureOutput();
  process.on('unhandledRejection', onUnhandled);
  dataDir = mkdtempSync(join(tmpdir(), 'amani-hostile-http-'));
  stack = await startLocalStack({ dataDir, fresh: true });
  token = stack.amani.currentToken()!;
  watch.add('token', token);
  watch.add('access-token', ...stack.amani.sensitiveValues());
  url = new URL(stack.runtime.receiverUrl);
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  output.restore();
  await stack.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Writes raw bytes to the endpoint and reads the status line of the answer (0: none). */
function raw(
  bytes: Buffer | string,
  options: { closeAfterMs?: number; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const finish = () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const headerEnd = text.indexOf('\r\n\r\n');
      let body = headerEnd < 0 ? '' : text.slice(headerEnd + 4);
      if (/transfer-encoding: chunked/i.test(text.slice(0, headerEnd))) body = unchunk(body);
      resolve({ status: match ? Number(match[1]) : 0, text, body: Buffer.from(body, 'latin1').toString('utf8') });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    socket.setTimeout(options.timeoutMs ?? 10_000, () => socket.destroy());
    socket.write(bytes);
    if (options.closeAfterMs !== undefined) setTimeout(() => socket.destroy(), options.closeAfterMs);
  });
}

/** The payload of a chunked HTTP/1.1 body. */
function unchunk(text: string): string {
  let result = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = lineEnd < 0 ? 0 : Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!size) return result;
    result += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

function request(
  body: Buffer,
  headers: ReadonlyArray<readonly [string, string]>,
  options: { chunked?: boolean; path?: string; method?: string } = {},
): Buffer {
  const lines = [`${options.method ?? 'POST'} ${options.path ?? url.pathname} HTTP/1.1`, `Host: ${url.host}`, 'Connection: close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (options.chunked) {
    lines.push('Transfer-Encoding: chunked');
    const parts: Buffer[] = [Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')];
    for (let i = 0; i < body.length; i += 100) {
      const piece = body.subarray(i, i + 100);
      parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    return Buffer.concat(parts);
  }
  lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

async function deliver(
  label: string,
  body: Buffer,
  headers: ReadonlyArray<readonly [string, string]>,
  forged: boolean,
  options: { chunked?: boolean } = {},
) {
  tried++;
  const answer = await raw(request(body, headers, options));
  statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  watch.addText(answer.text);
  ledger.record({ label, body, forged }, { status: answer.status, body: answer.body });
  return answer.status;
}

const signed = (body: Buffer) => {
  const signature = hmacBase64(token, body);
  watch.add('signature', signature);
  return signature;
};
const genuineBody = () =>
  Buffer.from(JSON.stringify({ event: 'profile_update', profile: { first_name: watch.sentinel('name'), n: Math.random() } }));

describe('hostile HTTP against the local mode', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'])(
    'accepts a genuine delivery that also carries a header named %s (API Gateway passes it through)',
    async (name) => {
      const body = genuineBody();
      expect(
        await deliver(
          `header ${name}`,
          body,
          [
            [name, 'x'],
            ['Webhook-Signature', signed(body)],
          ],
          false,
        ),
      ).toBe(200);
    },
  );

  it('survives clients that vanish mid-body, and keeps answering', async () => {
    for (let i = 0; i < 20; i++) {
      const body = genuineBody();
      const bytes = request(body, [['Webhook-Signature', signed(body)]]);
      await raw(bytes.subarray(0, bytes.length - 10), { closeAfterMs: 20, timeoutMs: 2000 });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const body = genuineBody();
    expect(await deliver('after aborted clients', body, [['Webhook-Signature', signed(body)]], false)).toBe(200);
    expect(unhandled).toEqual([]);
  });

  it('answers malformed HTTP with 4xx from the HTTP layer, and keeps answering', async () => {
    const answers = [
      await raw('GARBAGE\r\n\r\n'),
      await raw(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a])),
      await raw(`POST ${url.pathname} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`),
      await raw(`POST ${url.pathname} HTTP/1.1\r\nHost: x\r\nBad Header Name: v\r\n\r\n`),
      await raw(request(genuineBody(), [['X-Big', 'v'.repeat(20_000)]])),
    ].map((answer) => answer.status);
    expect(answers.every((status) => status === 0 || (status >= 400 && status < 500))).toBe(true);
    expect(answers.filter((status) => status === 431)).toHaveLength(1);
    const body = genuineBody();
    expect(await deliver('after malformed HTTP', body, [['Webhook-Signature', signed(body)]], false)).toBe(200);
  });

  it('handles repeated signature headers: the same value is fine, two different values are 401', async () => {
    const body = genuineBody();
    const signature = signed(body);
    expect(
      await deliver(
        'same signature twice',
        body,
        [
          ['Webhook-Signature', signature],
          ['webhook-signature', signature],
        ],
        false,
      ),
    ).toBe(200);
    const other = genuineBody();
    expect(
      await deliver(
        'two different signatures',
        other,
        [
          ['Webhook-Signature', signed(other)],
          ['Webhook-Signature', hmacBase64('x'.repeat(20), other)],
        ],
        true,
      ),
    ).toBe(401);
  });

  it('accepts a chunked genuine body and answers other methods and paths without touching the receiver', async () => {
    const body = Buffer.from(JSON.stringify({ event: 'document_upload', blob: 'z'.repeat(5000) }));
    expect(await deliver('chunked', body, [['Webhook-Signature', signed(body)]], false, { chunked: true })).toBe(200);
    expect((await raw(request(body, [], { method: 'GET' }))).status).toBe(403);
    expect((await raw(request(body, [], { path: '/other' }))).status).toBe(404);
  });

  it('takes a genuine, deeply nested body (100,000 levels) into the bus and the local event log, once', async () => {
    const body = Buffer.from(`{"event":"profile_update","deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    expect(await deliver('deep', body, [['Webhook-Signature', signed(body)]], false)).toBe(200);
    const id = sha256Hex(body);
    const onBus = storedCopies(stack.emulator, { bus: LOCAL_NAMES.eventBus }).filter((copy) => copy.deliveryId === id);
    expect(onBus).toHaveLength(1);
    const logged = readFileSync(join(dataDir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { detail: { metadata: { deliveryId: string } } });
    expect(logged.filter((event) => event.detail.metadata.deliveryId === id)).toHaveLength(1);
  });

  it(`random raw requests (${RAW_CASES}): never 5xx, never 2xx unsigned, always an answer`, async () => {
    const names = fc.oneof(
      fc.constantFrom('constructor', '__proto__', 'X-A', 'Webhook-Signatures', 'webhook-token', 'Accept'),
      fc.stringMatching(/^[A-Za-z0-9_!#$%&'*+.^`|~-]{1,30}$/),
    );
    const values = fc.stringMatching(/^[\x20-\x7e]{0,200}$/);
    const cases = fc.sample(
      fc.record({
        body: anyBody([watch.sentinel('raw')]),
        genuine: fc.boolean(),
        noise: fc.array(fc.tuple(names, values), { maxLength: 30 }),
        chunked: fc.boolean(),
      }),
      RAW_CASES,
    );
    const results: Array<{ genuine: boolean; jsonObject: boolean; status: number }> = [];
    // 40 at a time: forged deliveries wait (up to 1 s here) for the next allowed secret refresh.
    for (let i = 0; i < cases.length; i += 40) {
      await Promise.all(
        cases.slice(i, i + 40).map(async ({ body, genuine, noise, chunked }) => {
          const headers: Array<[string, string]> = [
            ...noise.filter(([n]) => !/^webhook-signature$/i.test(n)),
            ['Webhook-Signature', genuine ? signed(body) : hmacBase64('forger-token-0000', body)],
          ];
          const status = await deliver(genuine ? 'raw genuine' : 'raw forged', body, headers, !genuine, { chunked });
          results.push({ genuine, jsonObject: isJsonObjectBody(body), status });
        }),
      );
    }
    const wrong = results.filter(({ genuine, jsonObject, status }) => status !== (!genuine ? 401 : jsonObject ? 200 : 400));
    expect(wrong).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 120_000);

  it('over every request: the delivery invariant, no unhandled rejection, nothing secret printed', () => {
    const copies = storedCopies(stack.emulator, { bus: LOCAL_NAMES.eventBus, queue: LOCAL_NAMES.fallbackQueue });
    expect(ledger.violations(copies)).toEqual([]);
    expect(unhandled).toEqual([]);
    expect(hygieneProblems(output, watch)).toEqual([]);
    expect(
      Object.keys(statuses)
        .map(Number)
        .filter((status) => status >= 500),
    ).toEqual([]);
    writeReport('hostile-http', { requests: tried, statuses });
  });
});
