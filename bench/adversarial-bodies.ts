/**
 * Bodies an attacker would send at the canonical `json.dumps` pass, which runs before
 * authentication: every body with a well-formed but wrong signature goes through it. Used by the
 * bench ("adversarial bodies") and by the tests that assert the canonicaliser's linear bound.
 *
 * Each generator returns a body of about `targetBytes` and, beside it, an ordinary body of the
 * same size, shape and key count, with distinct keys: the baseline it is measured against.
 */

/** A body and what it stands for. */
export interface AdversarialBody {
  readonly name: string;
  readonly description: string;
  readonly body: Buffer;
  /** The same size, shape and key count, every key distinct and unremarkable. */
  readonly ordinary: Buffer;
  /** Keys in the body (members of every object, duplicates included). */
  readonly keyCount: number;
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A small deterministic generator (mulberry32), so every run attacks with the same keys. */
export function deterministicRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBlock(random: () => number, length: number): string {
  let block = '';
  for (let index = 0; index < length; index++) block += KEY_ALPHABET[Math.floor(random() * KEY_ALPHABET.length)];
  return block;
}

/**
 * A state-chaining hash over ASCII text: `step(state, charCode)` for each char, from `initial`.
 * FNV-1a and the canonicaliser's keyed polynomial hash both have this shape.
 */
export interface IteratedHash {
  readonly initial: number;
  readonly step: (state: number, code: number) => number;
}

export const FNV1A_32: IteratedHash = {
  initial: FNV_OFFSET_BASIS,
  step: (state, code) => Math.imul(state ^ code, FNV_PRIME) >>> 0,
};

function hashFrom(hash: IteratedHash, state: number, text: string): number {
  for (let index = 0; index < text.length; index++) state = hash.step(state, text.charCodeAt(index));
  return state;
}

/**
 * Joux's multicollision for any iterated hash: find two blocks that collide from the current
 * state (a birthday search), move to the common state, repeat. `rounds` pairs give 2^rounds keys
 * that all share one hash. Cost: about sqrt(hash space) block hashes per round.
 */
export function multicollisionBlocks(hash: IteratedHash, rounds: number, blockLength: number, seed = 1): [string, string][] {
  const random = deterministicRandom(seed);
  const pairs: [string, string][] = [];
  let state = hash.initial;
  for (let round = 0; round < rounds; round++) {
    const seen = new Map<number, string>();
    for (;;) {
      const block = randomBlock(random, blockLength);
      const reached = hashFrom(hash, state, block);
      const earlier = seen.get(reached);
      if (earlier !== undefined && earlier !== block) {
        pairs.push([earlier, block]);
        state = reached;
        break;
      }
      seen.set(reached, block);
    }
  }
  return pairs;
}

/** The `count` first keys spelled by choosing one block of each pair (all share one hash). */
export function collidingKeys(pairs: readonly [string, string][], count: number): string[] {
  const keys: string[] = [];
  for (let choice = 0; choice < count && choice < 2 ** pairs.length; choice++) {
    let key = '';
    for (let round = 0; round < pairs.length; round++) key += (pairs[round] as [string, string])[(choice >> round) & 1];
    keys.push(key);
  }
  return keys;
}

/** `{"k1": 0, "k2": 0, ...}` in compact JSON. */
function objectOfKeys(keys: readonly string[]): Buffer {
  return Buffer.from(`{${keys.map((key) => `"${key}":0`).join(',')}}`, 'utf8');
}

/** Distinct random keys of the given length: the ordinary body an attack body is compared with. */
export function ordinaryKeys(count: number, length: number, seed = 7): string[] {
  const random = deterministicRandom(seed);
  const keys = new Set<string>();
  while (keys.size < count) keys.add(randomBlock(random, length));
  return [...keys];
}

/** Keys per body for a target size, when each member is `"<key>":0,`. */
function keysFor(targetBytes: number, keyLength: number): number {
  return Math.max(1, Math.floor(targetBytes / (keyLength + 5)));
}

/** One object whose keys all share one hash value under `hash` (for a hash the attacker knows). */
export function collidingKeysBody(name: string, hash: IteratedHash, targetBytes: number, blockLength = 6): AdversarialBody {
  let rounds = 1;
  while (2 ** rounds < keysFor(targetBytes, rounds * blockLength)) rounds++;
  const keyLength = rounds * blockLength;
  const count = keysFor(targetBytes, keyLength);
  const keys = collidingKeys(multicollisionBlocks(hash, rounds, blockLength), count);
  return {
    name,
    description: `${keys.length} distinct keys of ${keyLength} characters with one ${name} hash`,
    body: objectOfKeys(keys),
    ordinary: objectOfKeys(ordinaryKeys(keys.length, keyLength)),
    keyCount: keys.length,
  };
}

/** One key repeated: every member after the first is a duplicate (Python keeps the last value). */
export function repeatedKeyBody(targetBytes: number): AdversarialBody {
  const value = '"APPROVED"';
  const count = Math.max(2, Math.floor(targetBytes / 20));
  const membersOf = (keys: readonly string[]) => Buffer.from(`{${keys.map((key) => `"${key}":${value}`).join(',')}}`, 'utf8');
  return {
    name: 'one key repeated',
    description: `${count} members, all named "status"`,
    body: membersOf(new Array<string>(count).fill('status')),
    ordinary: membersOf(ordinaryKeys(count, 'status'.length)),
    keyCount: count,
  };
}

/**
 * `{"a":0,"b":"<padding>","a":{...}}` nested `depth` deep: every object repeats its key around
 * the deeper value, which Python keeps. A merge that re-copied the kept value text at every
 * level would cost depth x size.
 */
export function duplicatesAtEveryDepthBody(targetBytes: number, depth = 500): AdversarialBody {
  const padding = 'x'.repeat(Math.max(0, Math.floor(targetBytes / depth) - 24));
  const nest = (deepKey: string) => {
    let inner = `{"a":0,"b":"${padding}","${deepKey}":1}`;
    for (let level = 1; level < depth; level++) inner = `{"a":0,"b":"${padding}","${deepKey}":${inner}}`;
    return Buffer.from(inner, 'utf8');
  };
  return {
    name: 'duplicates at every depth',
    description: `${depth} nested objects, each repeating its key around the deeper value`,
    body: nest('a'),
    ordinary: nest('c'),
    keyCount: 3 * depth,
  };
}
