/**
 * Bodies an attacker would send at the canonical `json.dumps` pass, which runs before
 * authentication: every body with a well-formed but wrong signature goes through it. Used by the
 * bench ("adversarial bodies") and by the tests that assert the canonicaliser's linear bound.
 *
 * Each generator returns a body of about `targetBytes` and, beside it, an ordinary body of the
 * same size, shape and key count, with distinct keys: the baseline it is measured against.
 */
import { seededRandom } from './stats';

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

// Aliases for the generators' hot loops (a sandboxed global Math makes `Math.x` lookups slow).
const { floor, imul } = Math;

const FNV_OFFSET_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomBlock(random: () => number, length: number): string {
  let block = '';
  for (let index = 0; index < length; index++) block += KEY_ALPHABET[floor(random() * KEY_ALPHABET.length)];
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
  step: (state, code) => imul(state ^ code, FNV_PRIME),
};

function hashFrom(hash: IteratedHash, state: number, text: string): number {
  for (let index = 0; index < text.length; index++) state = hash.step(state, text.charCodeAt(index));
  return state;
}

/** `hash` stepped over the block numbered `block` (blockLength base-36 digits), from `state`. */
function hashBlockFrom(hash: IteratedHash, state: number, block: number, blockLength: number): number {
  for (let digit = 0; digit < blockLength; digit++, block = floor(block / KEY_ALPHABET.length)) {
    state = hash.step(state, KEY_ALPHABET.charCodeAt(block % KEY_ALPHABET.length));
  }
  return state;
}

function blockText(block: number, blockLength: number): string {
  let text = '';
  for (let digit = 0; digit < blockLength; digit++, block = floor(block / KEY_ALPHABET.length))
    text += KEY_ALPHABET[block % KEY_ALPHABET.length];
  return text;
}

/**
 * Joux's multicollision for any iterated hash: find two blocks that collide from the current
 * state (a birthday search over numbered blocks), move to the common state, repeat. `rounds`
 * pairs give 2^rounds keys that all share one hash. Cost: about sqrt(hash space) block hashes per
 * round. Blocks must be long enough for the hash to be many-to-one on them.
 */
export function multicollisionBlocks(hash: IteratedHash, rounds: number, blockLength: number, seed = 1): [string, string][] {
  const pairs: [string, string][] = [];
  const blocks = KEY_ALPHABET.length ** blockLength;
  const random = seededRandom(seed);
  let state = hash.initial;
  for (let round = 0; round < rounds; round++) {
    const seen = new Map<number, number>();
    for (;;) {
      // Random blocks: consecutive ones share structure that FNV-1a keeps apart.
      const block = floor(random() * blocks);
      const reached = hashBlockFrom(hash, state, block, blockLength);
      const earlier = seen.get(reached);
      if (earlier !== undefined && earlier !== block) {
        pairs.push([blockText(earlier, blockLength), blockText(block, blockLength)]);
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

/**
 * Keys that collide under two iterated hashes at once (Joux): each round builds a multicollision
 * of `innerRounds` block pairs for `first` (2^innerRounds sequences, one `first` state), then
 * looks among those sequences for two that also share a `second` state. For a polynomial hash
 * the sequences' values are subset sums, whose pairs differ by 3^innerRounds distinct
 * combinations, so `second`'s state space must be well under 3^innerRounds / 2 (19 rounds:
 * about 8 expected collisions in 2^26 states). Returns 2^rounds keys.
 */
export function keysCollidingUnderBoth(
  first: IteratedHash,
  second: IteratedHash,
  rounds: number,
  innerRounds = 19,
  blockLength = 8,
): string[] {
  let firstState = first.initial;
  let secondState = second.initial;
  const pairs: [string, string][] = [];
  for (let round = 0; round < rounds; round++) {
    for (let attempt = 1; ; attempt++) {
      const inner = multicollisionBlocks({ ...first, initial: firstState }, innerRounds, blockLength, round * 1000 + attempt);
      const found = collisionAmongSequences(second, secondState, inner);
      if (found === undefined) continue;
      pairs.push(found);
      firstState = [...found[0]].reduce((state, char) => first.step(state, char.charCodeAt(0)), firstState);
      secondState = [...found[0]].reduce((state, char) => second.step(state, char.charCodeAt(0)), secondState);
      break;
    }
  }
  return collidingKeys(pairs, 2 ** rounds);
}

/** Two of the 2^pairs sequences spelled by `pairs` that reach one `hash` state, if any. */
function collisionAmongSequences(hash: IteratedHash, from: number, pairs: readonly [string, string][]): [string, string] | undefined {
  // Breadth first over the choices, sharing prefixes: 2^(n+1) block hashes for 2^n sequences.
  let states = [from];
  for (const pair of pairs) {
    const next: number[] = new Array<number>(states.length * 2);
    for (let index = 0; index < states.length; index++) {
      next[index] = hashFrom(hash, states[index] as number, pair[0]);
      next[index + states.length] = hashFrom(hash, states[index] as number, pair[1]);
    }
    states = next;
  }
  const seen = new Map<number, number>();
  for (let choice = 0; choice < states.length; choice++) {
    const earlier = seen.get(states[choice] as number);
    if (earlier !== undefined) return [spell(pairs, earlier), spell(pairs, choice)];
    seen.set(states[choice] as number, choice);
  }
  return undefined;
}

/** The sequence for `choice` in collisionAmongSequences' numbering (bit r chooses in round r). */
function spell(pairs: readonly [string, string][], choice: number): string {
  return pairs.map((pair, round) => pair[floor(choice / 2 ** round) % 2]).join('');
}

/** One object of keys that share one value under both hashes (a table must give up on both). */
export function keysCollidingUnderBothBody(
  name: string,
  first: IteratedHash,
  second: (keyLength: number) => IteratedHash,
  rounds: number,
): AdversarialBody {
  const innerRounds = 19;
  // FNV-1a is a bijection on 4-byte blocks from a fixed state: blocks must be longer to collide.
  const blockLength = 8;
  const keyLength = rounds * innerRounds * blockLength;
  const keys = keysCollidingUnderBoth(first, second(keyLength), rounds, innerRounds, blockLength);
  return {
    name,
    description: `${keys.length} distinct keys of ${keyLength} characters with one FNV-1a value and one keyed-hash value`,
    body: objectOfKeys(keys),
    ordinary: objectOfKeys(ordinaryKeys(keys.length, keyLength)),
    keyCount: keys.length,
  };
}

/** `{"k1": 0, "k2": 0, ...}` in compact JSON. */
function objectOfKeys(keys: readonly string[]): Buffer {
  return Buffer.from(`{${keys.map((key) => `"${key}":0`).join(',')}}`, 'utf8');
}

/** Distinct random keys of the given length: the ordinary body an attack body is compared with. */
export function ordinaryKeys(count: number, length: number, seed = 7): string[] {
  const random = seededRandom(seed);
  const keys = new Set<string>();
  while (keys.size < count) keys.add(randomBlock(random, length));
  return [...keys];
}

/** Keys per body for a target size, when each member is `"<key>":0,`. */
function keysFor(targetBytes: number, keyLength: number): number {
  return Math.max(1, floor(targetBytes / (keyLength + 5)));
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
    description: `${keys.length} distinct keys of ${keyLength} characters, all with one hash value`,
    body: objectOfKeys(keys),
    ordinary: objectOfKeys(ordinaryKeys(keys.length, keyLength)),
    keyCount: keys.length,
  };
}

/** One key repeated: every member after the first is a duplicate (Python keeps the last value). */
export function repeatedKeyBody(targetBytes: number): AdversarialBody {
  const value = '"APPROVED"';
  const count = Math.max(2, floor(targetBytes / 20));
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
  const padding = 'x'.repeat(Math.max(0, floor(targetBytes / depth) - 24));
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
