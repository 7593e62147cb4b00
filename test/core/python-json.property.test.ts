import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { pythonJsonDumps, pythonJsonDumpsBytes, pythonJsonDumpsQuick } from '../../lambda/core/python-json';
import { askCPython, type CPythonAnswer } from '../helpers/cpython';

/**
 * pythonJsonDumps against CPython itself on random JSON texts. The texts are built as text (not
 * with JSON.stringify) so they carry what a serialiser never writes: odd whitespace, duplicate
 * keys, every kind of escape, lone surrogate escapes, varied number spellings, corruptions.
 * All texts go to ONE python3 process; only while fast-check shrinks a failure does it ask
 * python3 about the (few) new texts one at a time.
 *
 * PY_JSON_PROPERTY_RUNS raises the number of texts (default 5000); PY_JSON_PROPERTY_SEED
 * replays a run. A failure reports its seed; the test's name stays the same from run to run.
 */

const DEFAULT_RUNS = 5000;
const RUNS = Math.max(DEFAULT_RUNS, Number.parseInt(process.env.PY_JSON_PROPERTY_RUNS ?? '', 10) || 0);
const SEED = process.env.PY_JSON_PROPERTY_SEED
  ? Number.parseInt(process.env.PY_JSON_PROPERTY_SEED, 10)
  : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

// ---------------------------------------------------------------------------------------------
// Random JSON texts

const whitespace = fc.oneof(
  { weight: 6, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), minLength: 1, maxLength: 4 }) },
);

const isSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdfff;
const unicodeEscape = (codeUnit: number, upperCase: boolean): string => {
  const hex = codeUnit.toString(16).padStart(4, '0');
  return `\\u${upperCase ? hex.toUpperCase() : hex}`;
};

const plainAscii = fc
  .integer({ min: 0x20, max: 0x7e })
  .filter((code) => code !== 0x22 && code !== 0x5c)
  .map((code) => String.fromCharCode(code));

const stringPiece = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: plainAscii, minLength: 1, maxLength: 8 }) },
  { weight: 2, arbitrary: fc.constantFrom('\\"', '\\\\', '\\/', '\\b', '\\f', '\\n', '\\r', '\\t') },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0xa0 }), fc.integer({ min: 0, max: 0xffff })),
        fc.boolean(),
      )
      .map(([codeUnit, upperCase]) => unicodeEscape(codeUnit, upperCase)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 0xd800, max: 0xdbff }), fc.integer({ min: 0xdc00, max: 0xdfff }), fc.boolean())
      .map(([high, low, upperCase]) => unicodeEscape(high, upperCase) + unicodeEscape(low, !upperCase)),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 0xd800, max: 0xdfff }), fc.boolean()).map(([lone, upperCase]) => unicodeEscape(lone, upperCase)),
  },
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: 0x7f, max: 0xffff })
      .filter((code) => !isSurrogate(code))
      .map((code) => String.fromCharCode(code)),
  },
  {
    // Raw characters from every plane (raw control characters are only in corrupted texts).
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 0xffff }))
      .map(([plane, offset]) => plane * 0x10000 + offset)
      .filter((code) => code >= 0x20 && code !== 0x22 && code !== 0x5c && !isSurrogate(code))
      .map((code) => String.fromCodePoint(code)),
  },
);

const jsonString = fc.array(stringPiece, { maxLength: 6 }).map((pieces) => `"${pieces.join('')}"`);

/** A small pool of keys (several spellings of some) makes duplicate keys common. */
const memberKey = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '"a"',
      '"b"',
      '"id"',
      '"1"',
      '"2"',
      '"10"',
      '""',
      '"__proto__"',
      '"\\u0061"',
      '"\u00e9"',
      '"\\u00E9"',
      '"\\u00e9"',
      '"\u{1F600}"',
      '"\\ud83d\\ude00"',
      '"a\\/b"',
      '"a/b"',
    ),
  },
  { weight: 2, arbitrary: jsonString },
);

const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });
const sign = fc.constantFrom('', '', '-');
const integerPart = fc.oneof(
  { weight: 1, arbitrary: fc.constant('0') },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([first, rest]) => first + rest) },
);
const bigIntegerPart = fc.tuple(fc.constantFrom(...'123456789'), digits(20, 300)).map(([first, rest]) => first + rest);
const integerLiteral = fc
  .tuple(sign, fc.oneof({ weight: 5, arbitrary: integerPart }, { weight: 1, arbitrary: bigIntegerPart }))
  .map(([minus, integer]) => minus + integer);

const exponent = fc
  .tuple(
    fc.constantFrom('e', 'E'),
    fc.constantFrom('', '+', '-'),
    fc.oneof(
      digits(1, 2),
      fc.integer({ min: 280, max: 330 }).map(String),
      fc.integer({ min: 0, max: 400 }).map((value) => String(value).padStart(3, '0')),
      digits(1, 6),
    ),
  )
  .map((parts) => parts.join(''));

const spelledFloat = fc
  .tuple(sign, integerPart, fc.option(digits(1, 25)), fc.option(exponent))
  .map(([minus, integer, fraction, exponentPart]) => {
    const withFraction = fraction === null ? '' : `.${fraction}`;
    // A float needs a fraction or an exponent; without both it would be an int.
    const withExponent = exponentPart ?? (fraction === null ? 'e0' : '');
    return minus + integer + withFraction + withExponent;
  });

/** Doubles of every kind (subnormals included) in the spellings JS number formatting gives. */
const formattedDouble = fc
  .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 21 }))
  .map(([value, style, precision]) => {
    switch (style) {
      case 0:
        return String(value);
      case 1:
        return value.toExponential();
      case 2:
        return value.toExponential(precision - 1);
      case 3:
        return value.toPrecision(precision);
      default:
        return Math.abs(value) < 1e21 ? value.toFixed(Math.min(precision, 20)) : String(value);
    }
  });

const notableNumber = fc.constantFrom(
  '-0',
  '-0.0',
  '0.0',
  '1E5',
  '1e+05',
  '0.000001',
  '123.4500e-3',
  '1e16',
  '1e15',
  '1e-5',
  '1e-4',
  '5e-324',
  '2.4703282292062328e-324',
  '1.7976931348623157e308',
  '1e400',
  '-1e400',
  '1e-400',
  '-1e-400',
  '9007199254740993',
  '9007199254740993.0',
  '0.1',
  '100.0',
  '1E2',
);

const literal = fc.constantFrom('true', 'false', 'null', 'NaN', 'Infinity', '-Infinity');

const scalar = fc.oneof(
  { weight: 4, arbitrary: jsonString },
  { weight: 2, arbitrary: integerLiteral },
  { weight: 2, arbitrary: spelledFloat },
  { weight: 2, arbitrary: formattedDouble },
  { weight: 1, arbitrary: notableNumber },
  { weight: 1, arbitrary: literal },
);

const { value: jsonValue } = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc
    .tuple(whitespace, fc.array(fc.tuple(whitespace, tie('value'), whitespace), { maxLength: 5 }))
    .map(([inside, items]) => `[${inside}${items.map((parts) => parts.join('')).join(',')}]`),
  object: fc
    .tuple(whitespace, fc.array(fc.tuple(whitespace, memberKey, whitespace, whitespace, tie('value'), whitespace), { maxLength: 6 }))
    .map(([inside, members]) => {
      const written = members.map(([a, key, b, c, value, d]) => `${a + key + b}:${c}${value}${d}`);
      return `{${inside}${written.join(',')}}`;
    }),
}));

/** A value wrapped in up to 50 levels of arrays and objects (some with a duplicate key). */
const deepValue = fc
  .tuple(fc.array(fc.constantFrom('[', '{"k":', '{"k":0,"k":', '[1,'), { minLength: 1, maxLength: 50, size: 'max' }), jsonValue)
  .map(([openers, inner]) => {
    const closers = openers.map((opener) => (opener.startsWith('[') ? ']' : '}')).reverse();
    return openers.join('') + inner + closers.join('');
  });

const validText = fc
  .tuple(whitespace, fc.oneof({ weight: 8, arbitrary: jsonValue }, { weight: 1, arbitrary: deepValue }), whitespace)
  .map((parts) => parts.join(''));

/** One character inserted, replaced or deleted, on code point boundaries (no lone surrogates). */
const corruptedText = fc
  .tuple(
    validText,
    fc.nat(),
    fc.constantFrom('', ',', ']', '}', ':', '"', '\\', '\u0000', '\u001f', 'x', ' ', '\u00a0', '\ufeff', '[', '{', '.', 'e', '-', '0'),
    fc.boolean(),
  )
  .map(([text, at, insertion, replace]) => {
    const codePoints = Array.from(text);
    const index = at % (codePoints.length + 1);
    return codePoints.slice(0, index).join('') + insertion + codePoints.slice(replace ? index + 1 : index).join('');
  });

const jsonText = fc.oneof({ weight: 9, arbitrary: validText }, { weight: 1, arbitrary: corruptedText });

// ---------------------------------------------------------------------------------------------

/** CPython picks UTF-16/32 for bytes with a NUL among the first ones; we (documented) do not. */
function pythonWouldDecodeAsUtf16Or32(bytes: Uint8Array): boolean {
  return (bytes.length >= 4 || bytes.length === 2) && (bytes[0] === 0 || bytes[1] === 0);
}

/**
 * The quick form (floats as written) fails exactly when the canonical form does, is the canonical
 * form when it says it is exact, and is the canonical form of any canonical text (whose floats are
 * as Python prints them: how Amani's deliveries arrive).
 */
function checkQuickForm(bytes: Buffer, canonical: string | null): void {
  const quick = pythonJsonDumpsQuick(bytes);
  if ((quick === undefined) !== (canonical === null)) throw new Error(`quick form ${quick ? 'made' : 'refused'}, canonical form not`);
  if (quick?.exact && quick.bytes.toString('latin1') !== canonical) throw new Error(`exact quick form ${quick.bytes.toString('latin1')}`);
  if (canonical === null) return;
  const again = pythonJsonDumpsQuick(Buffer.from(canonical, 'latin1'));
  if (again?.bytes.toString('latin1') !== canonical)
    throw new Error(`quick form of a canonical text changed it: ${again?.bytes.toString('latin1')}`);
}

describe('pythonJsonDumps against python3', () => {
  it(
    `matches CPython on ${RUNS} random JSON texts`,
    () =>
      withSeedReported(() => {
        const known = new Map<string, CPythonAnswer>();
        let singleQuestions = 0;
        const answerFor = (text: string): CPythonAnswer => {
          let answer = known.get(text);
          if (answer === undefined) {
            singleQuestions++;
            answer = askCPython([text])[0] as CPythonAnswer;
            known.set(text, answer);
          }
          return answer;
        };

        const checkAgainstCPython = (text: string): void => {
          const answer = answerFor(text);
          const fromText = pythonJsonDumps(text) ?? null;
          if (fromText !== answer.fromText) {
            throw new Error(`pythonJsonDumps gave ${JSON.stringify(fromText)}, CPython ${JSON.stringify(answer.fromText)}`);
          }
          const bytes = Buffer.from(text, 'utf8');
          const expectedFromBytes = pythonWouldDecodeAsUtf16Or32(bytes) ? null : answer.fromBytes;
          const fromBytes = pythonJsonDumpsBytes(bytes) ?? null;
          if (fromBytes !== expectedFromBytes) {
            throw new Error(`pythonJsonDumpsBytes gave ${JSON.stringify(fromBytes)}, CPython ${JSON.stringify(expectedFromBytes)}`);
          }
          checkQuickForm(bytes, fromBytes);
        };

        // Two runs with one seed draw the same texts: collect them, ask CPython about all at once,
        // then check. Only texts made while shrinking a failure are new to CPython.
        const texts: string[] = [];
        fc.assert(
          fc.property(jsonText, (text) => {
            texts.push(text);
          }),
          { seed: SEED, numRuns: RUNS },
        );
        askCPython(texts).forEach((answer, index) => {
          known.set(texts[index] as string, answer);
        });
        const accepted = [...known.values()].filter((answer) => answer.fromText !== null).length;

        fc.assert(fc.property(jsonText, checkAgainstCPython), { seed: SEED, numRuns: RUNS });
        expect(singleQuestions).toBe(0);
        // Guard the generator itself: mostly valid texts, some invalid ones.
        expect(accepted).toBeGreaterThan(RUNS * 0.75);
        expect(accepted).toBeLessThan(known.size);
      }),
    120_000,
  );
});

/** Runs `check`; a failure carries the seed that replays it. */
function withSeedReported(check: () => void): void {
  try {
    check();
  } catch (error) {
    const replay = `seed ${SEED} (replay: PY_JSON_PROPERTY_SEED=${SEED} npx jest test/core/python-json.property.test.ts)`;
    if (error instanceof Error) {
      error.message = `${replay}\n${error.message}`;
      throw error;
    }
    throw new Error(`${replay}\n${String(error)}`);
  }
}
