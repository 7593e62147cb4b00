/**
 * The delivery invariant, checked over every run of every suite:
 *   every authentic delivery answered 2xx is on the bus or in the fallback queue, with the
 *   body it was sent with; nothing forged is ever answered 2xx, published or parked; and no
 *   delivery id has more copies than retries explain: a call that took effect without its answer
 *   reaching the receiver (lost, or given up on), or Amani's resend after a 5xx.
 */
import { createHash } from 'node:crypto';
import type { AwsEmulator } from '../../../local/aws-emulator';
import type { CallLedger } from './aws-fake';

export interface SentDelivery {
  /** For messages: which row, which case. */
  readonly label: string;
  readonly body: Buffer;
  /** Sent without a valid credential. */
  readonly forged: boolean;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

interface Record {
  readonly sent: SentDelivery;
  readonly answer: Answer;
}

export interface StoredCopy {
  readonly deliveryId: string;
  readonly bodySha256: string;
  readonly where: 'bus' | 'queue';
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a bus or a fallback queue of the emulator holds, as delivery copies. */
export function storedCopies(emulator: AwsEmulator, where: { bus?: string; queue?: string }): StoredCopy[] {
  const copies: StoredCopy[] = [];
  for (const event of emulator.events()) {
    if (where.bus !== undefined && event['event-bus-name'] !== where.bus) continue;
    const metadata = (event.detail as { metadata?: { deliveryId?: string; bodySha256?: string } }).metadata;
    if (metadata?.deliveryId) copies.push({ deliveryId: metadata.deliveryId, bodySha256: metadata.bodySha256 ?? '', where: 'bus' });
  }
  if (where.queue !== undefined) {
    for (const message of emulator.queueMessages(where.queue)) {
      try {
        const parked = JSON.parse(message.Body) as { deliveryId: string; entry: { Detail: string } };
        const metadata = (JSON.parse(parked.entry.Detail) as { metadata: { bodySha256: string } }).metadata;
        copies.push({ deliveryId: parked.deliveryId, bodySha256: metadata.bodySha256, where: 'queue' });
      } catch {
        copies.push({ deliveryId: '(unreadable message)', bodySha256: '', where: 'queue' });
      }
    }
  }
  return copies;
}

export class DeliveryLedger {
  readonly records: Record[] = [];

  record(sent: SentDelivery, answer: Answer): void {
    this.records.push({ sent, answer });
  }

  get accepted(): Record[] {
    return this.records.filter((r) => r.answer.status >= 200 && r.answer.status < 300);
  }

  /**
   * Violations of the invariant, as short secret-free sentences (empty when it holds).
   * `copies`: what the bus and the fallback queue hold for the deliveries of this ledger.
   */
  violations(copies: readonly StoredCopy[], calls?: CallLedger): string[] {
    const problems: string[] = [];
    const byId = new Map<string, StoredCopy[]>();
    for (const copy of copies) byId.set(copy.deliveryId, [...(byId.get(copy.deliveryId) ?? []), copy]);
    const forgedHashes = new Set(this.records.filter((r) => r.sent.forged).map((r) => sha256Hex(r.sent.body)));
    const authenticHashes = new Set(this.records.filter((r) => !r.sent.forged).map((r) => sha256Hex(r.sent.body)));

    for (const { sent, answer } of this.records) {
      const ok = answer.status >= 200 && answer.status < 300;
      if (!ok) continue;
      if (sent.forged) {
        problems.push(`${sent.label}: a forged delivery was answered ${answer.status}`);
        continue;
      }
      let deliveryId: string | undefined;
      let duplicate = false;
      try {
        ({ deliveryId, duplicate = false } = JSON.parse(answer.body) as { deliveryId?: string; duplicate?: boolean });
      } catch {
        deliveryId = undefined;
      }
      if (!deliveryId) {
        problems.push(`${sent.label}: answered ${answer.status} without a deliveryId`);
        continue;
      }
      const stored = byId.get(deliveryId) ?? [];
      if (stored.length === 0)
        problems.push(`${sent.label}: answered ${answer.status} but ${deliveryId} is neither on the bus nor in the fallback queue (LOST)`);
      // A suppressed copy is stored as its first copy was: possibly other bytes of the same signed content.
      else if (!duplicate && !stored.some((copy) => copy.bodySha256 === sha256Hex(sent.body)))
        problems.push(`${sent.label}: ${deliveryId} is stored with another body`);
    }
    for (const copy of copies) {
      if (forgedHashes.has(copy.bodySha256) && !authenticHashes.has(copy.bodySha256))
        problems.push(`a forged body reached the ${copy.where} (${copy.deliveryId})`);
    }
    if (calls) {
      // A 5xx (or no answer) makes Amani send the delivery again: when the first attempt had in
      // fact stored it (its last call timed out on our side just as it landed), that is a copy too.
      const resentAfter5xx = new Map<string, number>();
      for (const { sent, answer } of this.records) {
        if (!sent.forged && (answer.status >= 500 || answer.status === 0)) {
          const sha = sha256Hex(sent.body);
          resentAfter5xx.set(sha, (resentAfter5xx.get(sha) ?? 0) + 1);
        }
      }
      for (const [id, list] of byId) {
        const allowed = calls.allowedCopies(id) + Math.max(0, ...list.map((copy) => resentAfter5xx.get(copy.bodySha256) ?? 0));
        if (list.length > allowed) {
          problems.push(
            `${id}: ${list.length} copies, only ${allowed} explained by lost answers and resends after a 5xx; calls: ${(calls.story.get(id) ?? []).join(', ')}`,
          );
        }
      }
    }
    return problems;
  }
}
