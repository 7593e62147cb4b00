/**
 * What the local stand-ins (the AWS emulator, the Amani simulator) share: listening on a
 * loopback address, reading a request body, and faults scheduled per operation or route.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on `host` and `port` (0: a free port); resolves its address once it listens. */
export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

/** The whole body as UTF-8; rejects when the caller goes away, or sends more than `maxBytes` (the rest is drained). */
export function readBody(request: IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new Error('too large'));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export interface FaultSchedule {
  /** How many matching requests get the fault (default: the stand-in's own). */
  readonly times?: number;
  /** Matching requests served normally before the fault starts (default 0): `skip: n - 1, times: 1` is the n-th only. */
  readonly skip?: number;
}

/** Faults queued per key (an operation, a route), consumed one per matching request, in order. */
export class ScheduledFaults<Key, F> {
  private readonly queues = new Map<Key, { readonly fault: F; remaining: number; skip: number }[]>();

  constructor(private readonly defaultTimes: number) {}

  add(key: Key, fault: F, schedule: FaultSchedule = {}): void {
    const queue = this.queues.get(key) ?? [];
    queue.push({ fault, remaining: schedule.times ?? this.defaultTimes, skip: schedule.skip ?? 0 });
    this.queues.set(key, queue);
  }

  /** The fault for this request of `key`, if any; counts the request against the schedule. */
  take(key: Key): F | undefined {
    const queue = this.queues.get(key);
    const head = queue?.[0];
    if (!queue || !head) return undefined;
    if (head.skip > 0) {
      head.skip--;
      return undefined;
    }
    head.remaining--;
    if (head.remaining <= 0) queue.shift();
    return head.fault;
  }

  clear(): void {
    this.queues.clear();
  }
}
