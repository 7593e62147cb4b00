import { Buffer, constants as bufferConstants, isUtf8 } from 'node:buffer';
import { randomInt } from 'node:crypto';

/**
 * CPython 3.11's `json.dumps(json.loads(body))`, byte for byte, without Python.
 *
 * Amani signs `json.dumps(payload)` (default separators `", "`/`": "`, `ensure_ascii=True`,
 * float `repr`, dict key order), not the bytes it sends, so a receiver has to re-create that
 * text from whatever serialisation arrived. This module is a single-pass transcoder from the
 * wire JSON text to that canonical text, written straight into an ASCII byte buffer: strings
 * are re-escaped, numbers re-spelled, whitespace dropped, no tree is built. Only an object
 * with a duplicated key needs more (Python keeps the first position and the last value), so
 * the rare document that has one is transcoded a second time in a mode that records object
 * members and merges them in place.
 *
 * Guarantees:
 * - the result is exactly what CPython 3.11 prints for every JSON text it accepts, within the
 *   limits below, and it is pure ASCII (hash it as `latin1`);
 * - any text CPython rejects (invalid JSON, an int of more than 4300 digits) gives `undefined`,
 *   never an exception;
 * - nesting deeper than {@link MAX_CANONICAL_DEPTH} gives `undefined`. The transcoder keeps an
 *   explicit stack, so no input (e.g. 1 MiB of `[`) can overflow the JS call stack.
 *
 * Deliberately not replicated from `json.loads(bytes)`: detection of UTF-16/UTF-32 bodies
 * (from NUL bytes in the first four) and the `surrogatepass` decoding that lets UTF-8-encoded
 * surrogates through. A webhook body is UTF-8; anything else gives `undefined`.
 */

/**
 * Deepest nesting of arrays/objects we canonicalise (`[]` is depth 1).
 *
 * CPython has no fixed JSON depth: its C scanner and encoder count against the interpreter's
 * recursion limit (1000), shared with the caller's own frames. Measured: called from a
 * function at module level, python3.11 `json.dumps(json.loads(text))` handles 993 nested
 * arrays or objects and raises RecursionError at 994; every extra caller frame costs one level
 * (test/vectors/generate.py, two frames deeper, records 991 ok and 992 failing). Amani's signer
 * runs inside a web framework whose stack already holds dozens of frames, so its real limit is
 * lower and unknown. 512 leaves room for ~480 caller frames, so we never offer a canonical
 * form of a document CPython could not dump, while real payloads (under 20 levels) are
 * nowhere near it.
 */
export const MAX_CANONICAL_DEPTH = 512;

/** CPython 3.11 refuses int<->str conversion of more digits than this (sys.int_info). */
const MAX_INT_DIGITS = 4300;

/** Most output one step inside a string writes: an astral character as two `\uXXXX`. */
const MAX_STRING_STEP_OUTPUT = 12;
/** Most output of one literal, float or punctuation step (a float repr is at most 24). */
const MAX_TOKEN_OUTPUT = 32;

const TAB = 0x09;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const PERIOD = 0x2e;
const SLASH = 0x2f;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;
const COLON = 0x3a;
const UPPER_E = 0x45;
const UPPER_I = 0x49;
const UPPER_N = 0x4e;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_B = 0x62;
const LOWER_E = 0x65;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const LOWER_R = 0x72;
const LOWER_T = 0x74;
const LOWER_U = 0x75;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const TILDE = 0x7e;
const HIGH_SURROGATE_FIRST = 0xd800;
const LOW_SURROGATE_FIRST = 0xdc00;
const LOW_SURROGATE_LAST = 0xdfff;

/** Lower-case hex digits as char codes (CPython's encoder writes lower case). */
const HEX_DIGIT_CODES = Uint8Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

/**
 * For each one-character escape JSON allows, the code unit it stands for (0 = not an escape;
 * `\u` is handled apart).
 */
const SHORT_ESCAPE_DECODED = new Uint8Array(0x80);
SHORT_ESCAPE_DECODED[QUOTE] = QUOTE;
SHORT_ESCAPE_DECODED[BACKSLASH] = BACKSLASH;
SHORT_ESCAPE_DECODED[SLASH] = SLASH;
SHORT_ESCAPE_DECODED[LOWER_B] = 0x08;
SHORT_ESCAPE_DECODED[LOWER_F] = 0x0c;
SHORT_ESCAPE_DECODED[LOWER_N] = LINE_FEED;
SHORT_ESCAPE_DECODED[LOWER_R] = CARRIAGE_RETURN;
SHORT_ESCAPE_DECODED[LOWER_T] = TAB;

/** For each ASCII code unit that ensure_ascii writes as a two-character escape, its letter. */
const SHORT_ESCAPE_LETTER = new Uint8Array(0x80);
SHORT_ESCAPE_LETTER[QUOTE] = QUOTE;
SHORT_ESCAPE_LETTER[BACKSLASH] = BACKSLASH;
SHORT_ESCAPE_LETTER[0x08] = LOWER_B;
SHORT_ESCAPE_LETTER[0x0c] = LOWER_F;
SHORT_ESCAPE_LETTER[LINE_FEED] = LOWER_N;
SHORT_ESCAPE_LETTER[CARRIAGE_RETURN] = LOWER_R;
SHORT_ESCAPE_LETTER[TAB] = LOWER_T;

function isPlainAscii(code: number): boolean {
  return code >= SPACE && code <= TILDE && code !== QUOTE && code !== BACKSLASH;
}

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

function isHighSurrogate(code: number): boolean {
  return code >= HIGH_SURROGATE_FIRST && code < LOW_SURROGATE_FIRST;
}

function isLowSurrogate(code: number): boolean {
  return code >= LOW_SURROGATE_FIRST && code <= LOW_SURROGATE_LAST;
}

function hexDigitValue(code: number): number {
  if (code >= DIGIT_0 && code <= DIGIT_9) return code - DIGIT_0;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= LOWER_F) return lower - 0x61 + 10;
  return -1;
}

/**
 * The input as code units: the body's bytes (UTF-8, decoded inside strings by the transcoder) or a
 * JS string's UTF-16 units. Indexing past the end gives undefined, which, like the NaN of
 * `charCodeAt`, matches no comparison below: every scan stops there and fails.
 */
type CodeUnits = Uint8Array | Uint16Array;

const UTF16 = new TextDecoder('utf-16le');

function startsWithAscii(text: CodeUnits, position: number, ascii: string): boolean {
  for (let index = 0; index < ascii.length; index++) if (text[position + index] !== ascii.charCodeAt(index)) return false;
  return true;
}

function skipWhitespace(text: CodeUnits, position: number): number {
  for (;;) {
    const code = text[position] as number;
    if (code === SPACE || code === LINE_FEED || code === CARRIAGE_RETURN || code === TAB) position++;
    else return position;
  }
}

/** Writes `\uXXXX` for one UTF-16 code unit; returns the new write offset. */
function writeUnicodeEscape(output: Buffer, offset: number, codeUnit: number): number {
  output[offset] = BACKSLASH;
  output[offset + 1] = LOWER_U;
  output[offset + 2] = HEX_DIGIT_CODES[codeUnit >> 12] as number;
  output[offset + 3] = HEX_DIGIT_CODES[(codeUnit >> 8) & 0xf] as number;
  output[offset + 4] = HEX_DIGIT_CODES[(codeUnit >> 4) & 0xf] as number;
  output[offset + 5] = HEX_DIGIT_CODES[codeUnit & 0xf] as number;
  return offset + 6;
}

/** Writes one decoded UTF-16 code unit as ensure_ascii does; returns the new write offset. */
function writeCodeUnit(output: Buffer, offset: number, codeUnit: number): number {
  if (isPlainAscii(codeUnit)) {
    output[offset] = codeUnit;
    return offset + 1;
  }
  const letter = codeUnit < 0x80 ? (SHORT_ESCAPE_LETTER[codeUnit] as number) : 0;
  if (letter === 0) return writeUnicodeEscape(output, offset, codeUnit);
  output[offset] = BACKSLASH;
  output[offset + 1] = letter;
  return offset + 2;
}

/**
 * Python's `repr(float)`: the shortest round-trip digits (the same digits as JS), laid out in
 * fixed notation for decimal exponents in [-4, 16) and in scientific notation with a signed,
 * at-least-two-digit exponent otherwise.
 */
export function pythonFloatRepr(value: number): string {
  if (value === 0) return 1 / value < 0 ? '-0.0' : '0.0';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  const magnitude = value < 0 ? -value : value;
  const shortest = String(value);
  // JS writes fixed notation for [1e-7, 1e21), which covers Python's whole fixed range.
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    return shortest.includes('.') ? shortest : `${shortest}.0`;
  }
  const sign = value < 0 ? '-' : '';
  const unsigned = value < 0 ? shortest.slice(1) : shortest;
  let digits: string;
  let exponent: number;
  const exponentAt = unsigned.indexOf('e');
  if (exponentAt >= 0) {
    digits = unsigned.slice(0, exponentAt).replace('.', '');
    exponent = Number(unsigned.slice(exponentAt + 1));
  } else if (magnitude < 1) {
    // 1e-7 <= magnitude < 1e-4: "0.0000123"
    const fraction = unsigned.slice(2);
    let leadingZeros = 0;
    while (fraction.charCodeAt(leadingZeros) === DIGIT_0) leadingZeros++;
    digits = fraction.slice(leadingZeros);
    exponent = -(leadingZeros + 1);
  } else {
    // 1e16 <= magnitude < 1e21: an integer, possibly with trailing zeros.
    exponent = unsigned.length - 1;
    let end = unsigned.length;
    while (unsigned.charCodeAt(end - 1) === DIGIT_0) end--;
    digits = unsigned.slice(0, end);
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const exponentMagnitude = exponent < 0 ? -exponent : exponent;
  return sign + mantissa + (exponent < 0 ? 'e-' : 'e+') + (exponentMagnitude < 10 ? `0${exponentMagnitude}` : String(exponentMagnitude));
}

/**
 * Work counters of one canonicalisation. Tests assert the linear bound with them (steps, not
 * time); production passes none.
 */
export interface CanonicalWork {
  /** Key bytes fed to the keyed hash. */
  hashedBytes: number;
  /** Earlier keys a new key was compared with (linear scans and hash-chain links). */
  keyComparisons: number;
  /** Bytes compared during those comparisons. */
  comparedBytes: number;
  /** Times a key table saw a long hash chain and changed its hash (see KeyTable). */
  reseeds: number;
  /** Bytes copied to lay out objects whose duplicated keys were merged. */
  mergedBytes: number;
}

/** A fresh, zeroed work counter. */
export function newCanonicalWork(): CanonicalWork {
  return { hashedBytes: 0, keyComparisons: 0, comparedBytes: 0, reseeds: 0, mergedBytes: 0 };
}

// Module-level aliases: the hot loops below call them directly. (Test runners that sandbox the
// global Math make every `Math.x` lookup slow; the aliases also keep those runs fast.)
const { floor, imul } = Math;

/** Largest prime below 2^26: `state * point + byte` then stays below 2^53, exact in a double. */
const KEY_HASH_PRIME = 67_108_859;

/** A uniformly random evaluation point in [1, KEY_HASH_PRIME). */
function randomHashPoint(): number {
  return randomInt(1, KEY_HASH_PRIME);
}

/** The point a key table's keyed hash starts with; replaced when a table sees a long chain. */
let processHashPoint = randomHashPoint();

/** The evaluation point new key tables use. Exposed so tests can play an attacker who knows it. */
export function currentKeyHashPoint(): number {
  return processHashPoint;
}

const KEY_HASH_PRIME_INVERSE = 1 / KEY_HASH_PRIME;

/**
 * One step of the keyed hash, `(state * point + code) mod p` for state, point < p and a code
 * unit below 2^16. A floored multiplication by 1/p replaces `%` (five times faster here); its
 * rounding can be off by one p either way, which the two comparisons correct. Exported with
 * the point so tests can build collisions for it.
 */
export function keyHashStep(state: number, code: number, point: number): number {
  const value = state * point + code;
  const reduced = value - floor(value * KEY_HASH_PRIME_INVERSE) * KEY_HASH_PRIME;
  if (reduced < 0) return reduced + KEY_HASH_PRIME;
  return reduced >= KEY_HASH_PRIME ? reduced - KEY_HASH_PRIME : reduced;
}

/** An object with at most this many keys is checked for duplicates by a plain scan, unhashed. */
const LINEAR_KEY_SCAN_LIMIT = 8;

/** FNV-1a over a range of the output, then the split-pair offsets. */
function fnv1a(bytes: Buffer, start: number, end: number, splits: string): number {
  let hash = 0x811c9dc5;
  for (let offset = start; offset < end; offset++) hash = imul(hash ^ (bytes[offset] as number), 0x01000193);
  for (let offset = 0; offset < splits.length; offset++) hash = imul(hash ^ splits.charCodeAt(offset), 0x01000193);
  return hash;
}

/**
 * Most distinct keys one lookup may meet on its hash chain before the table stops trusting its
 * hash. Under the keyed hash, 4 distinct keys on one value essentially never happen by chance
 * (see KeyTable), so a chain this long means someone computed collisions for that hash.
 */
const MAX_HASH_CHAIN = 4;

/**
 * The keys of one open object: finds an earlier key with the same identity, in expected O(key
 * length) per key, whatever the keys are.
 *
 * Why no input can make this quadratic. Keys are compared only when their hashes are equal, and
 * a lookup follows at most MAX_HASH_CHAIN links before the table changes its hash:
 * - Small objects (up to LINEAR_KEY_SCAN_LIMIT keys) are scanned unhashed: at most that many
 *   comparisons per key.
 * - Larger ones start on FNV-1a, which is cheap but public: anyone can make thousands of keys
 *   share one FNV-1a value (it is iterated, so colliding blocks concatenate). The first long
 *   chain moves the table to the keyed hash and hashes its keys once more.
 * - The keyed hash is a polynomial in a point drawn at random per process, modulo a prime p
 *   (~2^26). Two distinct keys of at most L bytes hash alike for at most L of the p points (a
 *   nonzero polynomial of degree L has at most L roots), so whatever keys an attacker writes, a
 *   body with n bytes of keys expects at most n^2 / p bytes of extra comparisons: 16 KiB for a
 *   1 MiB body, 1.6 MiB for the 10 MiB maximum.
 * - An attacker who somehow learned the point (the tests play one) gets one more long chain,
 *   after which this table, and every table after it, draws a new point (as Perl's hashes do).
 * Each change rehashes the object's keys once, so the total stays linear.
 *
 * V8's Map<string> is deliberately not used on key text: V8 hashes integer-like strings without
 * a seed, and Node's string hash has had seed-independent collisions (CVE-2025-27209).
 */
class KeyTable {
  private count = 0;
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  /** Merging mode: the split-pair offsets that make two keys with one text different keys. */
  private readonly splits: string[] = [];
  /** For each key, the previous key with the same hash (-1: none). */
  private readonly sameHashBefore: number[] = [];
  /** Hash -> the latest key with that hash; undefined while the object is small. */
  private latestByHash: Map<number, number> | undefined;
  /** The keyed hash's point, or 0 while the table still uses FNV-1a. */
  private point = 0;

  constructor(private readonly work: CanonicalWork | undefined) {}

  /** Distinct keys recorded so far. */
  size(): number {
    return this.count;
  }

  reset(): void {
    this.count = 0;
    this.latestByHash = undefined;
    this.point = 0;
  }

  /**
   * The index of an earlier key equal to `[start, end)` of `bytes` (with the same split-pair
   * offsets), or -1 after recording it as a new key.
   */
  findOrAdd(bytes: Buffer, start: number, end: number, splits: string): number {
    const { count, starts, ends } = this;
    starts[count] = start;
    ends[count] = end;
    this.splits[count] = splits;
    if (this.latestByHash === undefined) {
      for (let index = 0; index < count; index++) {
        if (this.sameKey(bytes, index, count)) return index;
      }
      this.count = count + 1;
      if (this.count > LINEAR_KEY_SCAN_LIMIT) this.rebuild(bytes);
      return -1;
    }
    const hash = this.hash(bytes, count);
    let chain = 0;
    for (let index = this.latestByHash.get(hash) ?? -1; index >= 0; index = this.sameHashBefore[index] as number) {
      if (this.sameKey(bytes, index, count)) return index;
      chain++;
    }
    this.count = count + 1;
    if (chain < MAX_HASH_CHAIN) {
      this.link(count, hash);
      return -1;
    }
    // Someone made these keys collide: move to the keyed hash, or to a fresh point.
    if (this.point !== 0) processHashPoint = randomHashPoint();
    this.point = processHashPoint;
    if (this.work) this.work.reseeds++;
    this.rebuild(bytes);
    return -1;
  }

  /** Hashes every key again under the table's current hash and rebuilds the chains. */
  private rebuild(bytes: Buffer): void {
    this.latestByHash = new Map();
    for (let index = 0; index < this.count; index++) this.link(index, this.hash(bytes, index));
  }

  private link(index: number, hash: number): void {
    const latest = this.latestByHash as Map<number, number>;
    this.sameHashBefore[index] = latest.get(hash) ?? -1;
    latest.set(hash, index);
  }

  private hash(bytes: Buffer, index: number): number {
    const { point } = this;
    const start = this.starts[index] as number;
    const end = this.ends[index] as number;
    if (this.work) this.work.hashedBytes += end - start;
    if (point === 0) return fnv1a(bytes, start, end, this.splits[index] as string);
    let state = end - start;
    for (let offset = start; offset < end; offset++) state = keyHashStep(state, bytes[offset] as number, point);
    const splits = this.splits[index] as string;
    for (let offset = 0; offset < splits.length; offset++) state = keyHashStep(state, splits.charCodeAt(offset), point);
    return state | 0; // an int, so the Map stores a small integer, not a heap number
  }

  private sameKey(bytes: Buffer, earlier: number, key: number): boolean {
    const start = this.starts[key] as number;
    const length = (this.ends[key] as number) - start;
    const earlierStart = this.starts[earlier] as number;
    if (this.work) this.work.keyComparisons++;
    if ((this.ends[earlier] as number) - earlierStart !== length) return false;
    let offset = 0;
    while (offset < length && bytes[earlierStart + offset] === bytes[start + offset]) offset++;
    if (this.work) this.work.comparedBytes += offset;
    return offset === length && this.splits[earlier] === this.splits[key];
  }
}

/**
 * Merging mode records each member as four numbers in one flat array per object (no object per
 * member): where its key starts (the opening quote), where its value starts and ends, and its
 * slot (the index of the key's first occurrence).
 */
const MEMBER_FIELDS = 4;
const KEY_START = 0;
const VALUE_START = 1;
const VALUE_END = 2;
const SLOT = 3;

/** Stands for the `", "` between two members in a merged object's layout. */
const MEMBER_SEPARATOR = -1;

/**
 * An object whose duplicated keys were merged: its members' text (between the braces, at
 * `[start, end)` of the output) is laid out again from `parts`: output ranges as start/end pairs,
 * MEMBER_SEPARATOR, or nested merged objects.
 */
interface MergedObject {
  readonly start: number;
  readonly end: number;
  readonly parts: (number | MergedObject)[];
}

class Transcoder {
  private position = 0;
  private output: Buffer;
  private written = 0;
  /**
   * Output offsets (relative to the opening quote) where the last string got a surrogate pair
   * split between an escape and a raw code unit. CPython does not join such a pair, so the key
   * is two lone surrogates, a different dict key from the astral character that ensure_ascii
   * writes identically. Only possible in a JS string, never in UTF-8.
   */
  private splitPairs = '';

  private readonly isObjectAtDepth = new Uint8Array(MAX_CANONICAL_DEPTH + 1);
  private readonly keysAtDepth: KeyTable[] = [];
  /** The members of each open object, MEMBER_FIELDS numbers each (arrays reused per depth). */
  private readonly membersAtDepth: number[][] = [];
  private readonly objectStartAtDepth: number[] = [];
  /**
   * Merged objects not yet inside a merged ancestor, in output order; those of the open object
   * at depth d start at `pendingFromAtDepth[d]`.
   */
  private readonly pending: MergedObject[] = [];
  private readonly pendingFromAtDepth: number[] = [];

  /** The text is UTF-8 bytes (validated), else UTF-16 code units. */
  private readonly charsAreUtf8Bytes: boolean;
  /** The bytes as a Buffer (byte mode), to read number literals out of. */
  private readonly bytes: Buffer | undefined;

  /** Floats copied as written (`floatsAsWritten`): the result is then a candidate, not the canonical form. */
  floatsCopied = 0;

  constructor(
    private readonly text: CodeUnits,
    private readonly work: CanonicalWork | undefined,
    private readonly floatsAsWritten = false,
  ) {
    this.charsAreUtf8Bytes = text instanceof Uint8Array;
    this.bytes = text instanceof Uint8Array ? Buffer.from(text.buffer, text.byteOffset, text.byteLength) : undefined;
    this.output = Buffer.allocUnsafe(text.length + (text.length >> 2) + 2 * MAX_TOKEN_OUTPUT);
  }

  /** Input code units [start, end) as a string (number literals: ASCII). */
  private textOf(start: number, end: number): string {
    return this.bytes ? this.bytes.toString('latin1', start, end) : UTF16.decode(this.text.subarray(start, end));
  }

  run(): Buffer | undefined {
    const { text, isObjectAtDepth } = this;
    const length = text.length;
    let depth = 0;
    this.position = skipWhitespace(text, 0);

    for (;;) {
      // A value starts at this.position.
      this.reserve(MAX_TOKEN_OUTPUT);
      const code = text[this.position] as number;
      if (code === QUOTE) {
        if (!this.writeString()) return undefined;
      } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        // An empty container counts as a level too, for CPython as for us.
        if (depth === MAX_CANONICAL_DEPTH) return undefined;
        const closing = code + 2; // '[' -> ']', '{' -> '}'
        const afterOpen = skipWhitespace(text, this.position + 1);
        const openedAt = this.written;
        this.output[this.written++] = code;
        if ((text[afterOpen] as number) === closing) {
          this.output[this.written++] = closing;
          this.position = afterOpen + 1;
        } else {
          depth++;
          this.position = afterOpen;
          if (code === OPEN_BRACKET) {
            isObjectAtDepth[depth] = 0;
            continue;
          }
          isObjectAtDepth[depth] = 1;
          this.openObject(depth, openedAt);
          if (!this.writeMemberKey(depth)) return undefined;
          continue;
        }
      } else if (isDigit(code) || code === MINUS) {
        if (!this.writeNumber()) return undefined;
      } else if (!this.writeLiteral(code)) {
        return undefined;
      }

      // After a value: close finished containers, then either finish or start the next value.
      for (;;) {
        const next = skipWhitespace(text, this.position);
        if (depth === 0) {
          if (next !== length || this.written > bufferConstants.MAX_STRING_LENGTH) return undefined;
          return this.finish();
        }
        this.reserve(MAX_TOKEN_OUTPUT);
        const separator = text[next] as number;
        const inObject = isObjectAtDepth[depth] === 1;
        if (separator === COMMA) {
          this.position = skipWhitespace(text, next + 1);
          if (inObject) this.endMember(depth);
          this.output[this.written++] = COMMA;
          this.output[this.written++] = SPACE;
          if (inObject && !this.writeMemberKey(depth)) return undefined;
          break;
        }
        if (separator !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return undefined;
        this.position = next + 1;
        if (inObject) {
          this.endMember(depth);
          this.mergeMembers(depth);
        }
        this.output[this.written++] = separator;
        depth--;
      }
    }
  }

  private reserve(extra: number): Buffer {
    if (this.written + extra > this.output.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.output.length * 2, this.written + extra));
      this.output.copy(grown, 0, 0, this.written);
      this.output = grown;
    }
    return this.output;
  }

  private openObject(depth: number, openedAt: number): void {
    const table = this.keysAtDepth[depth];
    if (table === undefined) {
      this.keysAtDepth[depth] = new KeyTable(this.work);
      this.membersAtDepth[depth] = [];
    } else {
      table.reset();
      (this.membersAtDepth[depth] as number[]).length = 0;
    }
    this.objectStartAtDepth[depth] = openedAt;
    this.pendingFromAtDepth[depth] = this.pending.length;
  }

  /**
   * Transcodes `"key" :` (whitespace allowed around the colon) to `"key": ` and leaves the
   * position at the value; records the member and which earlier key, if any, it repeats.
   */
  private writeMemberKey(depth: number): boolean {
    const { text } = this;
    if ((text[this.position] as number) !== QUOTE) return false;
    const keyStart = this.written;
    if (!this.writeString()) return false;
    // The key's canonical text, quotes excluded: equal keys give equal text, split pairs aside.
    const textStart = keyStart + 1;
    const textEnd = this.written - 1;

    const colon = skipWhitespace(text, this.position);
    if ((text[colon] as number) !== COLON) return false;
    this.position = skipWhitespace(text, colon + 1);
    const output = this.reserve(2);
    output[this.written++] = COLON;
    output[this.written++] = SPACE;

    const table = this.keysAtDepth[depth] as KeyTable;
    const earlier = table.findOrAdd(output, textStart, textEnd, this.splitPairs);
    const slot = earlier < 0 ? table.size() - 1 : earlier;
    (this.membersAtDepth[depth] as number[]).push(keyStart, this.written, this.written, slot);
    return true;
  }

  private endMember(depth: number): void {
    const members = this.membersAtDepth[depth] as number[];
    members[members.length - MEMBER_FIELDS + VALUE_END] = this.written;
  }

  /**
   * Python dict semantics for the object whose members were just written: a repeated key keeps
   * its first position and takes the last value. Nothing is copied here: the object is recorded
   * as a MergedObject whose parts point at the output (and at the merged objects nested in the
   * values it keeps), and `finish` lays everything out once. Work: O(members + nested merged
   * objects), each nested one taken over exactly once, so a body costs O(size) whatever its
   * depth.
   */
  private mergeMembers(depth: number): void {
    const members = this.membersAtDepth[depth] as number[];
    const memberCount = members.length / MEMBER_FIELDS;
    const slotCount = (this.keysAtDepth[depth] as KeyTable).size();
    if (slotCount === memberCount) return;
    const nested = this.pending.splice(this.pendingFromAtDepth[depth] as number);
    // Field offsets of each slot's first and last member.
    const firstOf = new Array<number>(slotCount).fill(-1);
    const lastOf = new Array<number>(slotCount);
    for (let member = 0; member < members.length; member += MEMBER_FIELDS) {
      const slot = members[member + SLOT] as number;
      if (firstOf[slot] === -1) firstOf[slot] = member;
      lastOf[slot] = member;
    }
    // Where each member's nested merged objects start in `nested`: both are in output order.
    const nestedFrom = new Array<number>(memberCount + 1);
    let cursor = 0;
    for (let member = 0; member < memberCount; member++) {
      nestedFrom[member] = cursor;
      const valueEnd = members[member * MEMBER_FIELDS + VALUE_END] as number;
      while (cursor < nested.length && (nested[cursor] as MergedObject).start < valueEnd) cursor++;
    }
    nestedFrom[memberCount] = nested.length;
    const parts: (number | MergedObject)[] = [];
    for (let slot = 0; slot < slotCount; slot++) {
      if (slot > 0) parts.push(MEMBER_SEPARATOR);
      const first = firstOf[slot] as number;
      parts.push(members[first + KEY_START] as number, members[first + VALUE_START] as number);
      const last = lastOf[slot] as number;
      let at = members[last + VALUE_START] as number;
      const lastIndex = last / MEMBER_FIELDS;
      for (let index = nestedFrom[lastIndex] as number; index < (nestedFrom[lastIndex + 1] as number); index++) {
        const inner = nested[index] as MergedObject;
        parts.push(at, inner.start, inner);
        at = inner.end;
      }
      parts.push(at, members[last + VALUE_END] as number);
    }
    this.pending.push({ start: (this.objectStartAtDepth[depth] as number) + 1, end: this.written, parts });
  }

  /** The canonical text's bytes: the output as written, with every merged object laid out again. */
  private finish(): Buffer {
    const { output, pending, written } = this;
    if (pending.length === 0) return output.subarray(0, written);
    const merged = Buffer.allocUnsafe(written);
    let length = 0;
    const copy = (start: number, end: number): void => {
      length += output.copy(merged, length, start, end);
    };
    const layOut = (object: MergedObject): void => {
      const { parts } = object;
      for (let index = 0; index < parts.length; index++) {
        const part = parts[index] as number | MergedObject;
        if (typeof part !== 'number') layOut(part);
        else if (part !== MEMBER_SEPARATOR) copy(part, parts[++index] as number);
        else {
          merged[length++] = COMMA;
          merged[length++] = SPACE;
        }
      }
    };
    let at = 0;
    for (const object of pending) {
      copy(at, object.start);
      layOut(object);
      at = object.end;
    }
    copy(at, written);
    if (this.work) this.work.mergedBytes += length;
    return merged.subarray(0, length);
  }

  /** Transcodes the string whose opening quote is at the position. */
  private writeString(): boolean {
    const { text } = this;
    let position = this.position + 1;
    let output = this.output;
    let written = this.written;
    const stringStart = written;
    output[written++] = QUOTE;
    // Where the last escaped high surrogate ended, to spot one followed by a raw low surrogate.
    let escapedHighSurrogateEnd = -1;
    this.splitPairs = '';
    for (;;) {
      if (written + MAX_STRING_STEP_OUTPUT > output.length) {
        this.written = written;
        output = this.reserve(MAX_STRING_STEP_OUTPUT);
      }
      let code = text[position] as number;
      if (isPlainAscii(code)) {
        // A run of plain ASCII, the bulk of most strings: one room check for the whole run.
        const stop = Math.min(text.length, position + output.length - MAX_STRING_STEP_OUTPUT - written);
        do {
          output[written++] = code;
          code = text[++position] as number;
        } while (position < stop && isPlainAscii(code));
        continue;
      }
      if (code === QUOTE) {
        output[written++] = QUOTE;
        this.written = written;
        this.position = position + 1;
        return true;
      }
      if (code === BACKSLASH) {
        const escaped = text[position + 1] as number;
        if (escaped === LOWER_U) {
          let codeUnit = 0;
          for (let digit = 2; digit < 6; digit++) {
            const value = hexDigitValue(text[position + digit] as number);
            if (value < 0) return false;
            codeUnit = (codeUnit << 4) | value;
          }
          if (isHighSurrogate(codeUnit)) {
            escapedHighSurrogateEnd = position + 6;
          } else if (isLowSurrogate(codeUnit) && position !== escapedHighSurrogateEnd && isHighSurrogate(text[position - 1] as number)) {
            // A raw high surrogate, then an escaped low one.
            this.splitPairs += `${written - stringStart},`;
          }
          written = writeCodeUnit(output, written, codeUnit);
          position += 6;
        } else {
          const decoded = escaped < 0x80 ? (SHORT_ESCAPE_DECODED[escaped] as number) : 0;
          if (decoded === 0) return false;
          written = writeCodeUnit(output, written, decoded);
          position += 2;
        }
      } else if (code > TILDE) {
        if (code < 0x80 || !this.charsAreUtf8Bytes) {
          if (isLowSurrogate(code) && position === escapedHighSurrogateEnd) {
            // An escaped high surrogate, then a raw low one.
            this.splitPairs += `${written - stringStart},`;
          }
          written = writeUnicodeEscape(output, written, code);
          position++;
        } else {
          // A UTF-8 sequence (already validated): decode it to one or two UTF-16 code units.
          const second = (text[position + 1] as number) & 0x3f;
          if (code < 0xe0) {
            written = writeUnicodeEscape(output, written, ((code & 0x1f) << 6) | second);
            position += 2;
          } else if (code < 0xf0) {
            const third = (text[position + 2] as number) & 0x3f;
            written = writeUnicodeEscape(output, written, ((code & 0x0f) << 12) | (second << 6) | third);
            position += 3;
          } else {
            const third = (text[position + 2] as number) & 0x3f;
            const fourth = (text[position + 3] as number) & 0x3f;
            const astral = (((code & 0x07) << 18) | (second << 12) | (third << 6) | fourth) - 0x10000;
            written = writeUnicodeEscape(output, written, HIGH_SURROGATE_FIRST + (astral >> 10));
            written = writeUnicodeEscape(output, written, LOW_SURROGATE_FIRST + (astral & 0x3ff));
            position += 4;
          }
        }
      } else {
        // A raw control character (strict mode), or the text ended inside the string.
        return false;
      }
    }
  }

  /** Transcodes a JSON number; Python's int/float decision depends on the literal alone. */
  private writeNumber(): boolean {
    const { text } = this;
    const start = this.position;
    let position = start;
    if ((text[position] as number) === MINUS) {
      if (startsWithAscii(text, position, '-Infinity')) {
        this.position += 9;
        this.writeAscii('-Infinity');
        return true;
      }
      position++;
    }
    const firstDigit = text[position] as number;
    if (firstDigit === DIGIT_0) {
      position++;
    } else if (firstDigit >= DIGIT_1 && firstDigit <= DIGIT_9) {
      position++;
      while (isDigit(text[position] as number)) position++;
    } else {
      return false;
    }
    const integerEnd = position;
    let isFloat = false;
    if ((text[position] as number) === PERIOD) {
      position++;
      if (!isDigit(text[position] as number)) return false;
      while (isDigit(text[position] as number)) position++;
      isFloat = true;
    }
    const exponentMarker = text[position] as number;
    if (exponentMarker === LOWER_E || exponentMarker === UPPER_E) {
      position++;
      const exponentSign = text[position] as number;
      if (exponentSign === MINUS || exponentSign === PLUS) position++;
      if (!isDigit(text[position] as number)) return false;
      while (isDigit(text[position] as number)) position++;
      isFloat = true;
    }
    this.position = position;
    if (isFloat && this.floatsAsWritten) {
      this.floatsCopied++;
      this.copyInput(start, position);
      return true;
    }
    if (isFloat) {
      this.writeAscii(pythonFloatRepr(Number(this.textOf(start, position))));
      return true;
    }
    const isNegative = (text[start] as number) === MINUS;
    if (integerEnd - start - (isNegative ? 1 : 0) > MAX_INT_DIGITS) return false;
    // An int is printed as its digits; only "-0" changes (Python ints have no negative zero).
    const from = isNegative && (text[start + 1] as number) === DIGIT_0 ? start + 1 : start;
    this.copyInput(from, position);
    return true;
  }

  /** Appends input code units [start, end) (ASCII: a number literal). */
  private copyInput(start: number, end: number): void {
    const { text } = this;
    const output = this.reserve(end - start);
    let written = this.written;
    for (let index = start; index < end; index++) output[written++] = text[index] as number;
    this.written = written;
  }

  /** true, false, null, and the NaN/Infinity literals Python's json accepts. */
  private writeLiteral(code: number): boolean {
    let literal: string;
    if (code === LOWER_T) literal = 'true';
    else if (code === LOWER_F) literal = 'false';
    else if (code === LOWER_N) literal = 'null';
    else if (code === UPPER_N) literal = 'NaN';
    else if (code === UPPER_I) literal = 'Infinity';
    else return false;
    if (!startsWithAscii(this.text, this.position, literal)) return false;
    this.position += literal.length;
    this.writeAscii(literal);
    return true;
  }

  /** Appends ASCII text of at most MAX_TOKEN_OUTPUT characters. */
  private writeAscii(ascii: string): void {
    const output = this.reserve(ascii.length);
    let written = this.written;
    for (let index = 0; index < ascii.length; index++) output[written++] = ascii.charCodeAt(index);
    this.written = written;
  }
}

function transcode(
  text: CodeUnits,
  work: CanonicalWork | undefined,
  floatsAsWritten = false,
): { readonly bytes: Buffer; readonly floatsCopied: number } | undefined {
  try {
    const transcoder = new Transcoder(text, work, floatsAsWritten);
    const bytes = transcoder.run();
    return bytes && { bytes, floatsCopied: transcoder.floatsCopied };
  } catch (error) {
    // Only a failed allocation of the output buffer can throw here (hundreds of MiB).
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** 3 when the bytes start with a UTF-8 byte-order mark (which `json.loads(bytes)` skips), else 0. */
export function utf8BomLength(bytes: Uint8Array): number {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
}

/** Valid UTF-8 content of a body (its leading BOM stripped), or undefined. */
function utf8Content(body: Uint8Array): Uint8Array | undefined {
  const content = body.subarray(utf8BomLength(body));
  return content.byteLength > bufferConstants.MAX_STRING_LENGTH || !isUtf8(content) ? undefined : content;
}

/**
 * The canonical form as `pythonJsonDumpsToBuffer` makes it, except that every float is copied as
 * written instead of going through float() and repr() (a float's shortest repr is most of the
 * transcoder's time). When the body's floats are already as Python prints them, which is how
 * Amani's json.dumps wrote them, this IS the canonical form; otherwise it is only a candidate,
 * and a signature over it proves the signer signed exactly these bytes, which is what the event
 * then carries. `exact`: no float was copied, so these are the canonical bytes.
 */
export function pythonJsonDumpsQuick(body: Uint8Array): { readonly bytes: Buffer; readonly exact: boolean } | undefined {
  const content = utf8Content(body);
  const result = content && transcode(content, undefined, true);
  return result && { bytes: result.bytes, exact: result.floatsCopied === 0 };
}

/**
 * CPython 3.11 `json.dumps(json.loads(text))` for a JSON text (a str: a leading BOM is an error
 * as in Python), or undefined when CPython would raise or nesting exceeds
 * {@link MAX_CANONICAL_DEPTH}. Lone surrogates in the text are kept, as Python keeps them.
 */
export function pythonJsonDumps(text: string, work?: CanonicalWork): string | undefined {
  const units = new Uint16Array(text.length);
  for (let index = 0; index < text.length; index++) units[index] = text.charCodeAt(index);
  return transcode(units, work)?.bytes.toString('latin1');
}

/**
 * The same from a raw body, as `json.loads(bytes)`: UTF-8, one leading BOM stripped. Invalid
 * UTF-8 (including encoded surrogates, which CPython would pass through) gives undefined.
 */
export function pythonJsonDumpsBytes(body: Uint8Array, work?: CanonicalWork): string | undefined {
  return pythonJsonDumpsToBuffer(body, work)?.toString('latin1');
}

/**
 * The same as bytes (ASCII): what the receiver hashes and publishes, without making a string of
 * it (a body-sized string is a copy into V8's heap, see `detailFromBytes` in delivery-event.ts).
 */
export function pythonJsonDumpsToBuffer(body: Uint8Array, work?: CanonicalWork): Buffer | undefined {
  const content = utf8Content(body);
  if (content === undefined) return undefined;
  // Read as bytes: the transcoder decodes the (already validated) multi-byte sequences itself,
  // inside strings, and no string of the body is made (above 128 KiB one is a V8 large object).
  return transcode(content, work)?.bytes;
}
