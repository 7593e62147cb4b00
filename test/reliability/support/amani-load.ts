/**
 * Plays Amani under load: POSTs prepared deliveries to the local endpoint over keep-alive HTTP
 * at a fixed concurrency and, like Amani, retries a delivery that got a 5xx or no answer (with a
 * short backoff) until it gets anything else. Records every answer.
 */
import { Agent, request } from 'node:http';
import type { Delivery } from './deliveries';

export interface LoadAnswer {
  readonly index: number;
  readonly attempt: number;
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

export interface LoadResult {
  readonly answers: LoadAnswer[];
  /** Final answer per delivery (after retries). */
  readonly finals: LoadAnswer[];
  readonly elapsedMs: number;
}

function post(url: URL, agent: Agent, delivery: Delivery, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...delivery.headers, 'Content-Length': String(delivery.body.length) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(delivery.body);
  });
}

export async function sendAll(
  endpoint: string,
  deliveries: readonly Delivery[],
  options: { concurrency: number; maxAttempts?: number; timeoutMs?: number; onAnswer?: (answer: LoadAnswer, delivery: Delivery) => void },
): Promise<LoadResult> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const answers: LoadAnswer[] = [];
  const finals: LoadAnswer[] = new Array(deliveries.length);
  const started = Date.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < deliveries.length) {
          const index = next++;
          const delivery = deliveries[index]!;
          for (let attempt = 1; ; attempt++) {
            const sentAt = Date.now();
            const { status, body } = await post(url, agent, delivery, options.timeoutMs ?? 30_000);
            const answer = { index, attempt, status, body, ms: Date.now() - sentAt };
            answers.push(answer);
            options.onAnswer?.(answer, delivery);
            const retry = (status === 0 || status >= 500) && attempt < (options.maxAttempts ?? 30);
            if (!retry) {
              finals[index] = answer;
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
          }
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { answers, finals, elapsedMs: Date.now() - started };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
