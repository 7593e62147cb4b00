/**
 * Authentication failures must take time independent of how much of the signature (or token)
 * matched. Two complementary checks, both robust on a noisy shared 2-core machine:
 *
 * 1. Operation trace (deterministic): every crypto operation verification performs - each
 *    HMAC, each hash, each timingSafeEqual with its argument lengths and the canonical-form
 *    computation - is recorded for signatures that match the expected digest in 0, 1, 16, 31
 *    leading bytes, or in all but the first. The traces must be identical: the control flow
 *    does not depend on the match, and every comparison is a full-length timingSafeEqual.
 * 2. Timing (statistical): the same near-miss signatures, verified in interleaved, shuffled
 *    rounds of repetitions; the medians must agree within a generous tolerance. The same
 *    harness must flag a deliberately leaky verifier (one that skips the canonical-form pass
 *    when the first byte is wrong), which shows it can see a control-flow leak at all.
 *
 * Byte-by-byte timing of a 32-byte compare (nanoseconds against tens of microseconds of HMAC)
 * is below what any measurement here can resolve; check 1 is what rules it out.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import crypto from 'node:crypto';
import { pythonJsonDumpsBytes } from '../../lambda/core/python-json';
import type { CandidateToken } from '../../lambda/core/token-secret';
import { verifySignature, verifyToken } from '../../lambda/core/webhook-auth';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';

const watch = new LeakWatch();
const TOKEN = `ct-token-${crypto.randomBytes(12).toString('hex')}`;
const PREVIOUS = `ct-previous-${crypto.randomBytes(12).toString('hex')}`;
watch.add('token', TOKEN, PREVIOUS);
const TOKENS: CandidateToken[] = [
  { generation: 'current', value: TOKEN },
  { generation: 'previous', value: PREVIOUS },
];

/** A realistic body in compact form, so both the raw and the canonical form get checked. */
const BODY = Buffer.from(
  JSON.stringify({
    event: 'profile_status_change',
    profile: {
      id: crypto.randomUUID(),
      status: 'APPROVED',
      first_name: watch.sentinel('first-name'),
      notes: Array.from({ length: 30 }, (_, i) => ({ i, text: `Güncelleme ${i}` })),
    },
  }),
);
const DIGEST = crypto.createHmac('sha256', TOKEN).update(BODY).digest();

/** The expected digest with all bytes but the first `matching` ones inverted (`-1`: all but the first byte right). */
function nearMiss(matching: number): string {
  const digest = Buffer.from(DIGEST);
  if (matching < 0) digest[0]! ^= 0xff;
  else for (let i = matching; i < 32; i++) digest[i]! ^= 0xff;
  const value = digest.toString('base64');
  watch.add('signature', value);
  return value;
}

const VARIANTS = {
  'no byte right': nearMiss(0),
  'first byte right': nearMiss(1),
  'first 16 bytes right': nearMiss(16),
  'all but the last byte right': nearMiss(31),
  'all but the first byte right': nearMiss(-1),
};

let output: CapturedOutput;
beforeAll(() => {
  output = captureOutput();
});
afterAll(() => {
  output.restore();
  expect(hygieneProblems(output, watch)).toEqual([]);
});

function verify(signature: string) {
  return verifySignature({ signature, body: BODY, tokens: TOKENS, canonicalForm: () => pythonJsonDumpsBytes(BODY) });
}

describe('constant-time authentication: operation trace', () => {
  const original = { createHmac: crypto.createHmac, createHash: crypto.createHash, timingSafeEqual: crypto.timingSafeEqual };
  /** Records every crypto operation a verification performs. */
  function trace(run: () => unknown): string[] {
    const operations: string[] = [];
    const hmac = jest.spyOn(crypto, 'createHmac').mockImplementation(((algorithm: string, key: crypto.BinaryLike) => {
      const real = original.createHmac(algorithm, key);
      operations.push(`hmac(${algorithm}, key ${Buffer.byteLength(key as Buffer)} bytes)`);
      const update = real.update.bind(real);
      real.update = ((data: crypto.BinaryLike, encoding?: BufferEncoding) => {
        operations.push(`  update(${typeof data === 'string' ? `${data.length} chars` : `${(data as Buffer).length} bytes`})`);
        return encoding ? update(data as string, encoding) : update(data);
      }) as typeof real.update;
      return real;
    }) as typeof crypto.createHmac);
    const hash = jest.spyOn(crypto, 'createHash').mockImplementation(((algorithm: string) => {
      operations.push(`hash(${algorithm})`);
      return original.createHash(algorithm);
    }) as typeof crypto.createHash);
    const compare = jest.spyOn(crypto, 'timingSafeEqual').mockImplementation((a, b) => {
      operations.push(`timingSafeEqual(${a.byteLength}, ${b.byteLength})`);
      return original.timingSafeEqual(a, b);
    });
    try {
      run();
    } finally {
      hmac.mockRestore();
      hash.mockRestore();
      compare.mockRestore();
    }
    return operations;
  }

  it('signature mode: the same operations, on full-length digests, however much of the signature matched', () => {
    const traces = Object.fromEntries(
      Object.entries(VARIANTS).map(([name, signature]) => [
        name,
        trace(() => expect(verify(signature)).toEqual({ ok: false, reason: 'bad-credential' })),
      ]),
    );
    const reference = traces['no byte right']!;
    // Raw body and canonical form, for each of the two accepted tokens: 4 HMACs, 4 full-length compares.
    expect(reference.filter((op) => op.startsWith('hmac'))).toHaveLength(4);
    expect(reference.filter((op) => op.startsWith('timingSafeEqual'))).toEqual(Array(4).fill('timingSafeEqual(32, 32)'));
    for (const [name, operations] of Object.entries(traces)) expect({ name, operations }).toEqual({ name, operations: reference });
    writeReport('constant-time-trace', { operations: reference, variants: Object.keys(traces) });
  });

  it('token mode: the same operations, on fixed-length hashes, whatever part of the token is right', () => {
    const presented = {
      'nothing right': `x${crypto.randomBytes(20).toString('hex')}`,
      'all but the last character': `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`,
      'all but the first character': `${TOKEN.startsWith('c') ? 'd' : 'c'}${TOKEN.slice(1)}`,
      'a prefix': TOKEN.slice(0, 10),
      longer: `${TOKEN}${TOKEN}`,
    };
    for (const value of Object.values(presented)) watch.add('token', value);
    const traces = Object.entries(presented).map(([name, value]) => ({
      name,
      operations: trace(() => expect(verifyToken({ presented: value, tokens: TOKENS })).toEqual({ ok: false, reason: 'bad-credential' })),
    }));
    const reference = traces[0]!.operations;
    expect(reference.filter((op) => op.startsWith('timingSafeEqual'))).toEqual(Array(2).fill('timingSafeEqual(32, 32)'));
    for (const { name, operations } of traces) expect({ name, operations }).toEqual({ name, operations: reference });
  });
});

describe('constant-time authentication: timing', () => {
  const ROUNDS = 150;
  const REPETITIONS = 25;

  /** Interleaved, shuffled rounds; per variant, the median time of REPETITIONS calls (ns). */
  function medians(variants: Record<string, () => unknown>): Record<string, number> {
    const names = Object.keys(variants);
    const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = -20; round < ROUNDS; round++) {
      const order = [...names].sort(() => Math.random() - 0.5);
      for (const name of order) {
        const run = variants[name]!;
        const started = process.hrtime.bigint();
        for (let i = 0; i < REPETITIONS; i++) run();
        const elapsed = Number(process.hrtime.bigint() - started);
        if (round >= 0) samples[name]!.push(elapsed); // the first rounds only warm up
      }
    }
    return Object.fromEntries(names.map((name) => [name, median(samples[name]!)]));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const spread = (byName: Record<string, number>) => Math.max(...Object.values(byName)) / Math.min(...Object.values(byName));

  it('takes the same time whether the first byte, 31 bytes or no byte matched (medians within 25%)', () => {
    const variants = Object.fromEntries(Object.entries(VARIANTS).map(([name, signature]) => [name, () => verify(signature)]));
    let measured = medians(variants);
    // A noisy neighbour can still skew one batch: measure again before calling it a leak.
    for (let attempt = 0; attempt < 2 && spread(measured) >= 1.25; attempt++) measured = medians(variants);
    writeReport('constant-time-timing', { medianNsPer25Calls: measured, spread: spread(measured) });
    expect(spread(measured)).toBeLessThan(1.25);
  });

  it('would see a leak: a verifier that skips the canonical-form pass when the first byte is wrong', () => {
    const leaky = (signature: string) => {
      const expected = Buffer.from(signature, 'base64');
      const raw = crypto.createHmac('sha256', TOKEN).update(BODY).digest();
      if (raw[0] !== expected[0]) return false; // the "optimisation" that leaks
      const canonical = pythonJsonDumpsBytes(BODY)!;
      return crypto.timingSafeEqual(crypto.createHmac('sha256', TOKEN).update(canonical, 'latin1').digest(), expected);
    };
    const measured = medians({
      'first byte right': () => leaky(VARIANTS['first byte right']),
      'no byte right': () => leaky(VARIANTS['no byte right']),
    });
    writeReport('constant-time-calibration', { medianNsPer25Calls: measured, spread: spread(measured) });
    expect(spread(measured)).toBeGreaterThan(1.25);
  });
});
