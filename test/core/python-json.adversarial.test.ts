import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  collidingKeysBody,
  duplicatesAtEveryDepthBody,
  FNV1A_32,
  keysCollidingUnderBothBody,
  repeatedKeyBody,
  type AdversarialBody,
  type IteratedHash,
} from '../../bench/adversarial-bodies';
import {
  currentKeyHashPoint,
  keyHashStep,
  newCanonicalWork,
  pythonJsonDumpsBytes,
  type CanonicalWork,
} from '../../lambda/core/python-json';
import { askCPython } from '../helpers/cpython';

/**
 * The canonical form runs before authentication, so no body may make it superlinear. These
 * bodies are what an attacker would build against the key tables (bench/adversarial-bodies.ts);
 * each must give CPython's exact output, and the work counters must stay within a fixed multiple
 * of the body's size (steps are counted, not timed, so the bound is deterministic).
 */

const KIB = 1024;

function keyedHash(point: number): (keyLength: number) => IteratedHash {
  return (keyLength) => ({ initial: keyLength, step: (state, code) => keyHashStep(state, code, point) });
}

function canonicalWithWork(body: Buffer): { text: string | undefined; work: CanonicalWork } {
  const work = newCanonicalWork();
  return { text: pythonJsonDumpsBytes(body, work), work };
}

/** The linear bound every body must meet, whatever its keys. */
function expectLinearWork(work: CanonicalWork, body: AdversarialBody): void {
  const bytes = body.body.length;
  // Each key is hashed at most three times: FNV-1a, then the keyed hash, then a fresh point.
  expect(work.hashedBytes).toBeLessThanOrEqual(3 * bytes);
  // A lookup meets at most LINEAR_KEY_SCAN_LIMIT (8) earlier keys before its table is rebuilt.
  expect(work.keyComparisons).toBeLessThanOrEqual(8 * body.keyCount);
  expect(work.comparedBytes).toBeLessThanOrEqual(2 * bytes);
  expect(work.mergedBytes).toBeLessThanOrEqual(bytes);
  expect(work.reseeds).toBeLessThanOrEqual(2);
}

/** Interleaves duplicates of colliding keys, at two depths: collisions and merges at once. */
function collisionsWithDuplicates(targetBytes: number): AdversarialBody {
  const colliding = collidingKeysBody('FNV-1a', FNV1A_32, targetBytes / 2);
  const keys = JSON.parse(colliding.body.toString('utf8')) as Record<string, number>;
  const members = Object.keys(keys).flatMap((key, index) => [`"${key}":${index}`, `"${key}":{"${key}":1,"${key}":[${index}]}`]);
  const body = Buffer.from(`{"outer":{${members.join(',')}},"outer":{${members.reverse().join(',')}}}`, 'utf8');
  return { name: 'collisions and duplicates', description: '', body, ordinary: body, keyCount: 2 * members.length * 2 + 2 };
}

describe('canonical form of adversarial bodies', () => {
  const bodies: AdversarialBody[] = [
    collidingKeysBody('FNV-1a', FNV1A_32, 256 * KIB),
    repeatedKeyBody(256 * KIB),
    duplicatesAtEveryDepthBody(256 * KIB),
    collisionsWithDuplicates(64 * KIB),
  ];
  const texts = bodies.flatMap((body) => [body.body.toString('utf8'), body.ordinary.toString('utf8')]);
  const answers = askCPython(texts);

  it.each(bodies.map((body, index) => [body.name, body, index] as const))('%s: CPython output, linear work', (_name, body, index) => {
    const attacked = canonicalWithWork(body.body);
    expect(attacked.text).toBe(answers[2 * index]?.fromBytes);
    expectLinearWork(attacked.work, body);
    const ordinary = canonicalWithWork(body.ordinary);
    expect(ordinary.text).toBe(answers[2 * index + 1]?.fromBytes);
    expectLinearWork(ordinary.work, { ...body, body: body.ordinary });
  });

  it('moves a table off FNV-1a when its keys collide there', () => {
    expect(canonicalWithWork(bodies[0]?.body as Buffer).work.reseeds).toBe(1);
    expect(canonicalWithWork(bodies[0]?.ordinary as Buffer).work.reseeds).toBe(0);
  });

  it('survives an attacker who knows the keyed hash point: CPython output, linear work, a new point', () => {
    // Tests can read the process's point; nobody on the Internet can.
    const point = currentKeyHashPoint();
    const body = keysCollidingUnderBothBody('FNV-1a and the keyed hash', FNV1A_32, keyedHash(point), 4);
    const [answer] = askCPython([body.body.toString('utf8')]);
    const attacked = canonicalWithWork(body.body);
    expect(attacked.text).toBe(answer?.fromBytes);
    expectLinearWork(attacked.work, body);
    expect(attacked.work.reseeds).toBe(2);
    expect(currentKeyHashPoint()).not.toBe(point);
    // Under the new point the same keys no longer collide: only the move off FNV-1a remains.
    expect(canonicalWithWork(body.body).work.reseeds).toBe(1);
  });

  it('keeps the work proportional to the body: double the body, at most double the steps', () => {
    const steps = (work: CanonicalWork) => work.hashedBytes + work.comparedBytes + work.keyComparisons + work.mergedBytes;
    for (const make of [
      (bytes: number) => collidingKeysBody('FNV-1a', FNV1A_32, bytes),
      repeatedKeyBody,
      (bytes: number) => duplicatesAtEveryDepthBody(bytes, 200),
    ]) {
      const small = make(64 * KIB);
      const large = make(128 * KIB);
      const ratio = steps(canonicalWithWork(large.body).work) / steps(canonicalWithWork(small.body).work);
      expect(large.body.length / small.body.length).toBeCloseTo(2, 1);
      expect(ratio).toBeLessThan(2.2);
    }
  });
});

describe('keyed hash step', () => {
  const PRIME = 67_108_859;
  it('is exactly (state * point + code) mod p, for any state, point and code unit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: PRIME - 1 }),
        fc.integer({ min: 1, max: PRIME - 1 }),
        fc.integer({ min: 0, max: 0xffff }),
        (state, point, code) => {
          const exact = Number((BigInt(state) * BigInt(point) + BigInt(code)) % BigInt(PRIME));
          expect(keyHashStep(state, code, point)).toBe(exact);
        },
      ),
      { numRuns: 20_000 },
    );
    // The corners, where a rounded 1/p is most likely to be off.
    for (const [state, point, code] of [
      [PRIME - 1, PRIME - 1, 0xffff],
      [PRIME - 1, 1, 0],
      [0, PRIME - 1, 0],
      [1, 1, 0xffff],
    ] as const) {
      expect(keyHashStep(state, code, point)).toBe(Number((BigInt(state) * BigInt(point) + BigInt(code)) % BigInt(PRIME)));
    }
  });
});
