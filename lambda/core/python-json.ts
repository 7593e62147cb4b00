import { Buffer, constants as bufferConstants, isUtf8 } from 'node:buffer';

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

/** An object with at most this many keys is checked for duplicates by linear scan, not a Set. */
const LINEAR_KEY_SCAN_LIMIT = 8;

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

function skipWhitespace(text: string, position: number): number {
  for (;;) {
    const code = text.charCodeAt(position);
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
  if (value !== value) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  const magnitude = value < 0 ? -value : value;
  const shortest = String(value);
  // JS writes fixed notation for [1e-7, 1e21), which covers Python's whole fixed range.
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    return shortest.includes('.') ? shortest : shortest + '.0';
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
  const mantissa = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
  const exponentMagnitude = exponent < 0 ? -exponent : exponent;
  return (
    sign +
    mantissa +
    (exponent < 0 ? 'e-' : 'e+') +
    (exponentMagnitude < 10 ? '0' + exponentMagnitude : String(exponentMagnitude))
  );
}

/**
 * Returned by the fast pass when it meets a duplicated key (or a key with a split surrogate
 * pair, whose identity is not its canonical text), which only the merging pass handles.
 */
const NEEDS_MERGING = Symbol('needs merging');

/** One member of an object, recorded in merging mode; offsets are into the output. */
interface RecordedMember {
  readonly identity: string;
  /** Offset of the key's opening quote. */
  readonly keyStart: number;
  /** Offset just after `": "`. */
  readonly valueStart: number;
  valueEnd: number;
}

/**
 * Keys seen so far in one open object, for the fast pass: where each key's canonical text sits
 * in the output and a hash of it, so no key string is ever created. Small objects scan the
 * hashes; larger ones also keep a Set of them. A hash match is confirmed byte by byte.
 */
interface KeyRegistry {
  /** Entries past the count are stale leftovers of an earlier object at the same depth. */
  count: number;
  readonly hashes: number[];
  readonly starts: number[];
  readonly ends: number[];
  hashSet: Set<number> | undefined;
}

/** FNV-1a over a range of the output. */
function hashBytes(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let index = start; index < end; index++) hash = Math.imul(hash ^ (bytes[index] as number), 0x01000193);
  return hash;
}

function rangesEqual(bytes: Buffer, start: number, end: number, otherStart: number, otherEnd: number): boolean {
  if (end - start !== otherEnd - otherStart) return false;
  for (let offset = 0; offset < end - start; offset++) {
    if (bytes[start + offset] !== bytes[otherStart + offset]) return false;
  }
  return true;
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
  private readonly keysAtDepth: KeyRegistry[] = [];
  private readonly membersAtDepth: RecordedMember[][] = [];
  private readonly objectStartAtDepth: number[] = [];

  constructor(
    private readonly text: string,
    /** The text is UTF-8 bytes, one per char (a `latin1` decode of valid UTF-8). */
    private readonly charsAreUtf8Bytes: boolean,
    /** Record members of every object and merge duplicated keys, instead of bailing out. */
    private readonly mergeDuplicateKeys: boolean,
  ) {
    this.output = Buffer.allocUnsafe(text.length + (text.length >> 2) + 2 * MAX_TOKEN_OUTPUT);
  }

  run(): string | undefined | typeof NEEDS_MERGING {
    const { text, isObjectAtDepth, mergeDuplicateKeys } = this;
    const length = text.length;
    let depth = 0;
    this.position = skipWhitespace(text, 0);

    for (;;) {
      // A value starts at this.position.
      this.reserve(MAX_TOKEN_OUTPUT);
      const code = text.charCodeAt(this.position);
      if (code === QUOTE) {
        if (!this.writeString()) return undefined;
      } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        // An empty container counts as a level too, for CPython as for us.
        if (depth === MAX_CANONICAL_DEPTH) return undefined;
        const closing = code + 2; // '[' -> ']', '{' -> '}'
        const afterOpen = skipWhitespace(text, this.position + 1);
        const openedAt = this.written;
        this.output[this.written++] = code;
        if (text.charCodeAt(afterOpen) === closing) {
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
          const key = this.writeMemberKey(depth);
          if (key !== true) return key;
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
          return this.output.toString('latin1', 0, this.written);
        }
        this.reserve(MAX_TOKEN_OUTPUT);
        const separator = text.charCodeAt(next);
        const inObject = isObjectAtDepth[depth] === 1;
        if (separator === COMMA) {
          this.position = skipWhitespace(text, next + 1);
          if (inObject && mergeDuplicateKeys) this.endMember(depth);
          this.output[this.written++] = COMMA;
          this.output[this.written++] = SPACE;
          if (inObject) {
            const key = this.writeMemberKey(depth);
            if (key !== true) return key;
          }
          break;
        }
        if (separator !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return undefined;
        this.position = next + 1;
        if (inObject && mergeDuplicateKeys) {
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
    if (this.mergeDuplicateKeys) {
      this.membersAtDepth[depth] = [];
      this.objectStartAtDepth[depth] = openedAt;
      return;
    }
    const registry = this.keysAtDepth[depth];
    if (registry === undefined) {
      this.keysAtDepth[depth] = { count: 0, hashes: [], starts: [], ends: [], hashSet: undefined };
    } else {
      registry.count = 0;
      registry.hashSet = undefined;
    }
  }

  /**
   * Transcodes `"key" :` (whitespace allowed around the colon) to `"key": ` and leaves the
   * position at the value. In the fast pass, also checks the key against its object's earlier
   * keys; in merging mode, records the member.
   */
  private writeMemberKey(depth: number): true | undefined | typeof NEEDS_MERGING {
    const { text } = this;
    if (text.charCodeAt(this.position) !== QUOTE) return undefined;
    const keyStart = this.written;
    if (!this.writeString()) return undefined;
    // The key's canonical text, quotes excluded: equal keys give equal text, split pairs aside.
    const textStart = keyStart + 1;
    const textEnd = this.written - 1;

    const colon = skipWhitespace(text, this.position);
    if (text.charCodeAt(colon) !== COLON) return undefined;
    this.position = skipWhitespace(text, colon + 1);
    const output = this.reserve(2);
    output[this.written++] = COLON;
    output[this.written++] = SPACE;

    if (this.mergeDuplicateKeys) {
      let identity = output.toString('latin1', textStart, textEnd);
      if (this.splitPairs !== '') identity += '\u0000' + this.splitPairs;
      (this.membersAtDepth[depth] as RecordedMember[]).push({
        identity,
        keyStart,
        valueStart: this.written,
        valueEnd: this.written,
      });
      return true;
    }
    if (this.splitPairs !== '') return NEEDS_MERGING;
    const registry = this.keysAtDepth[depth] as KeyRegistry;
    const { count, hashes, starts, ends, hashSet } = registry;
    const hash = hashBytes(output, textStart, textEnd);
    if (hashSet === undefined || hashSet.has(hash)) {
      for (let index = 0; index < count; index++) {
        if (
          hashes[index] === hash &&
          rangesEqual(output, starts[index] as number, ends[index] as number, textStart, textEnd)
        ) {
          return NEEDS_MERGING;
        }
      }
    }
    hashes[count] = hash;
    starts[count] = textStart;
    ends[count] = textEnd;
    registry.count = count + 1;
    if (hashSet !== undefined) hashSet.add(hash);
    else if (count + 1 > LINEAR_KEY_SCAN_LIMIT) registry.hashSet = new Set(hashes.slice(0, count + 1));
    return true;
  }

  private endMember(depth: number): void {
    const members = this.membersAtDepth[depth] as RecordedMember[];
    (members[members.length - 1] as RecordedMember).valueEnd = this.written;
  }

  /**
   * Python dict semantics for the object whose members were just written: a repeated key
   * keeps its first position and takes the last value. Rewrites the members in place (the
   * merged text is never longer).
   */
  private mergeMembers(depth: number): void {
    const members = this.membersAtDepth[depth] as RecordedMember[];
    const slotByIdentity = new Map<string, number>();
    const keys: string[] = [];
    const values: string[] = [];
    const { output } = this;
    for (const member of members) {
      const value = output.toString('latin1', member.valueStart, member.valueEnd);
      const slot = slotByIdentity.get(member.identity);
      if (slot === undefined) {
        slotByIdentity.set(member.identity, keys.length);
        keys.push(output.toString('latin1', member.keyStart, member.valueStart));
        values.push(value);
      } else {
        values[slot] = value;
      }
    }
    if (keys.length === members.length) return;
    let merged = '';
    for (let slot = 0; slot < keys.length; slot++) {
      merged += (slot === 0 ? '' : ', ') + keys[slot] + values[slot];
    }
    const membersStart = (this.objectStartAtDepth[depth] as number) + 1;
    this.written = membersStart + output.write(merged, membersStart, 'latin1');
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
      const code = text.charCodeAt(position);
      if (isPlainAscii(code)) {
        output[written++] = code;
        position++;
        continue;
      }
      if (code === QUOTE) {
        output[written++] = QUOTE;
        this.written = written;
        this.position = position + 1;
        return true;
      }
      if (code === BACKSLASH) {
        const escaped = text.charCodeAt(position + 1);
        if (escaped === LOWER_U) {
          let codeUnit = 0;
          for (let digit = 2; digit < 6; digit++) {
            const value = hexDigitValue(text.charCodeAt(position + digit));
            if (value < 0) return false;
            codeUnit = (codeUnit << 4) | value;
          }
          if (isHighSurrogate(codeUnit)) {
            escapedHighSurrogateEnd = position + 6;
          } else if (
            isLowSurrogate(codeUnit) &&
            position !== escapedHighSurrogateEnd &&
            isHighSurrogate(text.charCodeAt(position - 1))
          ) {
            // A raw high surrogate, then an escaped low one.
            this.splitPairs += written - stringStart + ',';
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
            this.splitPairs += written - stringStart + ',';
          }
          written = writeUnicodeEscape(output, written, code);
          position++;
        } else {
          // A UTF-8 sequence (already validated): decode it to one or two UTF-16 code units.
          const second = text.charCodeAt(position + 1) & 0x3f;
          if (code < 0xe0) {
            written = writeUnicodeEscape(output, written, ((code & 0x1f) << 6) | second);
            position += 2;
          } else if (code < 0xf0) {
            const third = text.charCodeAt(position + 2) & 0x3f;
            written = writeUnicodeEscape(output, written, ((code & 0x0f) << 12) | (second << 6) | third);
            position += 3;
          } else {
            const third = text.charCodeAt(position + 2) & 0x3f;
            const fourth = text.charCodeAt(position + 3) & 0x3f;
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
    if (text.charCodeAt(position) === MINUS) {
      if (text.startsWith('-Infinity', position)) {
        this.position += 9;
        this.writeAscii('-Infinity');
        return true;
      }
      position++;
    }
    const firstDigit = text.charCodeAt(position);
    if (firstDigit === DIGIT_0) {
      position++;
    } else if (firstDigit >= DIGIT_1 && firstDigit <= DIGIT_9) {
      position++;
      while (isDigit(text.charCodeAt(position))) position++;
    } else {
      return false;
    }
    const integerEnd = position;
    let isFloat = false;
    if (text.charCodeAt(position) === PERIOD) {
      position++;
      if (!isDigit(text.charCodeAt(position))) return false;
      while (isDigit(text.charCodeAt(position))) position++;
      isFloat = true;
    }
    const exponentMarker = text.charCodeAt(position);
    if (exponentMarker === LOWER_E || exponentMarker === UPPER_E) {
      position++;
      const exponentSign = text.charCodeAt(position);
      if (exponentSign === MINUS || exponentSign === PLUS) position++;
      if (!isDigit(text.charCodeAt(position))) return false;
      while (isDigit(text.charCodeAt(position))) position++;
      isFloat = true;
    }
    this.position = position;
    if (isFloat) {
      this.writeAscii(pythonFloatRepr(Number(text.slice(start, position))));
      return true;
    }
    const isNegative = text.charCodeAt(start) === MINUS;
    if (integerEnd - start - (isNegative ? 1 : 0) > MAX_INT_DIGITS) return false;
    // An int is printed as its digits; only "-0" changes (Python ints have no negative zero).
    const from = isNegative && text.charCodeAt(start + 1) === DIGIT_0 ? start + 1 : start;
    const output = this.reserve(position - from);
    let written = this.written;
    for (let index = from; index < position; index++) output[written++] = text.charCodeAt(index);
    this.written = written;
    return true;
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
    if (!this.text.startsWith(literal, this.position)) return false;
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

function transcode(text: string, charsAreUtf8Bytes: boolean): string | undefined {
  try {
    const fast = new Transcoder(text, charsAreUtf8Bytes, false).run();
    if (fast !== NEEDS_MERGING) return fast;
    const merged = new Transcoder(text, charsAreUtf8Bytes, true).run();
    return merged === NEEDS_MERGING ? undefined : merged;
  } catch (error) {
    // Only a failed allocation of the output buffer can throw here (hundreds of MiB).
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/**
 * CPython 3.11 `json.dumps(json.loads(text))` for a JSON text (a str: a leading BOM is an error
 * as in Python), or undefined when CPython would raise or nesting exceeds
 * {@link MAX_CANONICAL_DEPTH}. Lone surrogates in the text are kept, as Python keeps them.
 */
export function pythonJsonDumps(text: string): string | undefined {
  return transcode(text, false);
}

/**
 * The same from a raw body, as `json.loads(bytes)`: UTF-8, one leading BOM stripped. Invalid
 * UTF-8 (including encoded surrogates, which CPython would pass through) gives undefined.
 */
export function pythonJsonDumpsBytes(body: Uint8Array): string | undefined {
  const hasBom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  const content = hasBom ? body.subarray(3) : body;
  if (content.byteLength > bufferConstants.MAX_STRING_LENGTH || !isUtf8(content)) return undefined;
  // One char per byte is far cheaper to make than a UTF-16 decode, and the transcoder decodes
  // the (already validated) multi-byte sequences itself, inside strings.
  const bytesAsChars = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString(
    'latin1',
  );
  return transcode(bytesAsChars, true);
}
