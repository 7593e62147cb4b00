import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  MAX_CANONICAL_DEPTH,
  pythonFloatRepr,
  pythonJsonDumps,
  pythonJsonDumpsBytes,
  pythonJsonDumpsQuick,
} from '../../lambda/core/python-json';

/** See test/vectors/generate.py for what each field means. */
interface DumpsVector {
  readonly name: string;
  readonly input: string;
  readonly expected?: string;
  readonly error?: true;
  readonly depth?: number;
  readonly utf8Expected?: string;
  readonly utf8Error?: true;
  readonly stringOnly?: true;
}

interface SignatureVector {
  readonly name: string;
  readonly token: string;
  readonly wireBody: string;
  readonly canonical: string;
  readonly signature: string;
}

function readVectors<T>(file: string): T[] {
  return JSON.parse(readFileSync(join(__dirname, '..', 'vectors', file), 'utf8')) as T[];
}

const dumpsVectors = readVectors<DumpsVector>('python-json-dumps.json');
const signatureVectors = readVectors<SignatureVector>('amani-signatures.json');

/** What pythonJsonDumps must return for a vector: CPython's answer, within our depth cap. */
function expectedFromText(vector: DumpsVector): string | undefined {
  if (vector.error) return undefined;
  if ((vector.depth ?? 0) > MAX_CANONICAL_DEPTH) return undefined;
  return vector.expected;
}

/**
 * CPython's json.detect_encoding picks UTF-16/32 when one of the first bytes is NUL. We treat
 * every body as UTF-8 instead (documented), so such bodies get no canonical form from us.
 */
function pythonWouldDecodeAsUtf16Or32(bytes: Uint8Array): boolean {
  if (bytes.length >= 4 || bytes.length === 2) return bytes[0] === 0 || bytes[1] === 0;
  return false;
}

function expectedFromBytes(vector: DumpsVector, bytes: Uint8Array): string | undefined {
  if (pythonWouldDecodeAsUtf16Or32(bytes)) return undefined;
  if (vector.utf8Error) return undefined;
  if (vector.utf8Expected !== undefined) return vector.utf8Expected;
  return expectedFromText(vector);
}

const dumps = (text: string): string | undefined => pythonJsonDumps(text);
const hmacBase64 = (token: string, message: string, encoding: 'latin1' | 'utf8'): string =>
  createHmac('sha256', token).update(message, encoding).digest('base64');

describe('CPython vectors (test/vectors/python-json-dumps.json)', () => {
  it('has enough vectors, and both sides of the depth cap', () => {
    expect(dumpsVectors.length).toBeGreaterThanOrEqual(300);
    const names = new Set(dumpsVectors.map((vector) => vector.name));
    expect(names.size).toBe(dumpsVectors.length);
    // The generator mirrors MAX_CANONICAL_DEPTH; if one side changes, these names disappear.
    const atCap = dumpsVectors.find((vector) => vector.name === `depth ${MAX_CANONICAL_DEPTH} arrays`);
    const pastCap = dumpsVectors.find((vector) => vector.name === `depth ${MAX_CANONICAL_DEPTH + 1} arrays`);
    expect(atCap?.depth).toBe(MAX_CANONICAL_DEPTH);
    expect(atCap?.expected).toBeDefined();
    expect(pastCap?.depth).toBe(MAX_CANONICAL_DEPTH + 1);
    expect(pastCap?.expected).toBeDefined(); // CPython still copes; we refuse.
  });

  it.each(dumpsVectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const fromText = pythonJsonDumps(vector.input);
    expect(fromText).toBe(expectedFromText(vector));
    if (fromText !== undefined) expect(fromText).toMatch(/^[\x20-\x7e]*$/);
    if (!vector.stringOnly) {
      const bytes = Buffer.from(vector.input, 'utf8');
      expect(pythonJsonDumpsBytes(bytes)).toBe(expectedFromBytes(vector, bytes));
    }
  });
});

describe('layout', () => {
  it('uses ", " and ": " separators and drops all other whitespace', () => {
    expect(dumps('{"a":1,"b":[1,2,{"c":null}]}')).toBe('{"a": 1, "b": [1, 2, {"c": null}]}');
    expect(dumps(' \t\n\r{ "a" :\n1 ,\r\n"b":[ 1 ,2 ] }\n')).toBe('{"a": 1, "b": [1, 2]}');
  });

  it('writes empty containers without inner space', () => {
    expect(dumps('[ ]')).toBe('[]');
    expect(dumps('{\n}')).toBe('{}');
    expect(dumps('[[],{},[{}]]')).toBe('[[], {}, [{}]]');
  });

  it('accepts any JSON value at the top level', () => {
    expect(dumps('"x"')).toBe('"x"');
    expect(dumps('null')).toBe('null');
    expect(dumps(' true ')).toBe('true');
  });
});

describe('strings (ensure_ascii)', () => {
  it('uses the short escapes for quote, backslash and \\b \\f \\n \\r \\t', () => {
    expect(dumps('"\\"\\\\\\b\\f\\n\\r\\t"')).toBe('"\\"\\\\\\b\\f\\n\\r\\t"');
    expect(dumps('"\\u0022\\u005C\\u0008\\u000C\\u000A\\u000D\\u0009"')).toBe('"\\"\\\\\\b\\f\\n\\r\\t"');
  });

  it('writes other control characters, DEL and all non-ASCII as lower-case \\u00XX', () => {
    expect(dumps('"\\u0000\\u001F\\u000b"')).toBe('"\\u0000\\u001f\\u000b"');
    expect(dumps('"\u007f\u0080\u00a0\u00e9"')).toBe('"\\u007f\\u0080\\u00a0\\u00e9"');
    expect(dumps('"\u0130stanbul \u015fehir"')).toBe('"\\u0130stanbul \\u015fehir"');
  });

  it('writes astral characters as a surrogate pair, however they arrived', () => {
    expect(dumps('"\u{1F600}"')).toBe('"\\ud83d\\ude00"');
    expect(dumps('"\\uD83D\\uDE00"')).toBe('"\\ud83d\\ude00"');
    expect(pythonJsonDumpsBytes(Buffer.from('"\u{10FFFF}"'))).toBe('"\\udbff\\udfff"');
  });

  it('keeps lone surrogates from escapes', () => {
    expect(dumps('"\\ud800"')).toBe('"\\ud800"');
    expect(dumps('"\\uDC00x\\uD800"')).toBe('"\\udc00x\\ud800"');
  });

  it('does not escape "/" and decodes \\/ and needless \\u escapes', () => {
    expect(dumps('"a/b\\/c"')).toBe('"a/b/c"');
    expect(dumps('"\\u0041\\u007e\\u0020"')).toBe('"A~ "');
  });

  it('rejects raw control characters and bad escapes', () => {
    for (const text of ['"a\u0000"', '"\n"', '"\t"', '"\u001f"', '"\\x41"', '"\\u12"', '"\\U0041"', '"\\\'"', '"abc']) {
      expect(dumps(text)).toBeUndefined();
    }
  });
});

describe('objects', () => {
  it('keeps keys in the order received, integer-like keys included', () => {
    expect(dumps('{"b":1,"10":2,"2":3,"a":4,"1":5}')).toBe('{"b": 1, "10": 2, "2": 3, "a": 4, "1": 5}');
  });

  it('keeps the first position and the last value of a duplicated key', () => {
    expect(dumps('{"2":1,"1":2,"2":3}')).toBe('{"2": 3, "1": 2}');
    expect(dumps('{"a":1,"b":{"x":1,"x":[2]},"a":{"y":3}}')).toBe('{"a": {"y": 3}, "b": {"x": [2]}}');
    expect(dumps('[{"k":1,"k":2},{"k":3}]')).toBe('[{"k": 2}, {"k": 3}]');
  });

  it('treats different spellings of one key as the same key', () => {
    expect(dumps('{"\u00e9":1,"\\u00E9":2,"x":0,"\\u00e9":3}')).toBe('{"\\u00e9": 3, "x": 0}');
    expect(dumps('{"a/b":1,"a\\/b":2}')).toBe('{"a/b": 2}');
  });

  it('handles prototype-like keys as plain keys', () => {
    expect(dumps('{"__proto__":1,"constructor":2,"__proto__":{"a":1}}')).toBe('{"__proto__": {"a": 1}, "constructor": 2}');
  });

  it('finds duplicates in large objects and never confuses different keys', () => {
    const keys = Array.from({ length: 40 }, (_, index) => `"k${index}":${index}`);
    expect(dumps(`{${keys.join(',')},"k7":"last"}`)).toBe(
      `{${keys.map((member) => member.replace(':', ': ')).join(', ')}}`.replace('"k7": 7', '"k7": "last"'),
    );
    // "gwzx" and "16cd" have the same 32-bit FNV-1a hash.
    expect(dumps('{"gwzx":1,"16cd":2}')).toBe('{"gwzx": 1, "16cd": 2}');
    expect(dumps('{"gwzx":1,"16cd":2,"gwzx":3}')).toBe('{"gwzx": 3, "16cd": 2}');
  });

  it('keeps a surrogate pair split between escape and raw unit apart from the joined pair', () => {
    // CPython never joins an escaped half with a raw one: two lone surrogates, a different key.
    expect(dumps('{"\\ud83d\ude00":1,"\\ud83d\\ude00":2}')).toBe('{"\\ud83d\\ude00": 1, "\\ud83d\\ude00": 2}');
    expect(dumps('{"\\ud83d\ude00":1,"\\ud83d\ude00":2}')).toBe('{"\\ud83d\\ude00": 2}');
    expect(dumps('{"\u{1F600}":1,"\\ud83d\\ude00":2}')).toBe('{"\\ud83d\\ude00": 2}');
  });

  it('rejects malformed members', () => {
    for (const text of ['{"a"}', '{"a":}', '{"a":1,}', '{a:1}', '{,}', '{"a" 1}', '{"a":1 "b":2}', '{1:2}']) {
      expect(dumps(text)).toBeUndefined();
    }
  });
});

describe('numbers', () => {
  it('prints ints as their digits, whatever their size; -0 becomes 0', () => {
    expect(dumps('[9007199254740993,-12345678901234567890123,-0,0]')).toBe('[9007199254740993, -12345678901234567890123, 0, 0]');
    const hundredDigits = '9'.repeat(100);
    expect(dumps(hundredDigits)).toBe(hundredDigits);
  });

  it('refuses ints of more than 4300 digits, as CPython 3.11 does', () => {
    expect(dumps('1'.repeat(4300))).toBe('1'.repeat(4300));
    expect(dumps(`-${'1'.repeat(4300)}`)).toBe(`-${'1'.repeat(4300)}`);
    expect(dumps('1'.repeat(4301))).toBeUndefined();
    expect(dumps(`[${'1'.repeat(4301)}]`)).toBeUndefined();
    expect(dumps(`${'1'.repeat(4301)}.0`)).toBe('Infinity'); // floats have no such limit
  });

  it('prints floats as repr(float): fixed within [1e-4, 1e16), with ".0" when integral', () => {
    expect(dumps('[1E2,1e5,100000.0,0.1,123.4500e-3,1e15,9999999999999998.0,0.0001]')).toBe(
      '[100.0, 100000.0, 100000.0, 0.1, 0.12345, 1000000000000000.0, 9999999999999998.0, 0.0001]',
    );
  });

  it('prints floats outside that range in scientific notation with a signed two-digit exponent', () => {
    expect(dumps('[1e16,1e-5,0.00001,1.5e300,1e22,1.23e-7,5e-324,1.7976931348623157e308]')).toBe(
      '[1e+16, 1e-05, 1e-05, 1.5e+300, 1e+22, 1.23e-07, 5e-324, 1.7976931348623157e+308]',
    );
  });

  it('handles signed zero, overflow and underflow', () => {
    expect(dumps('[-0.0,0.0,-0e5,1e400,-1e400,1e-400,-1e-400]')).toBe('[-0.0, 0.0, -0.0, Infinity, -Infinity, 0.0, -0.0]');
  });

  it('rounds long literals correctly (ties to even)', () => {
    expect(dumps('9007199254740993.0')).toBe('9007199254740992.0');
    expect(dumps('1.00000000000000011102230246251565404236316680908203125')).toBe('1.0');
    expect(dumps('1.00000000000000011102230246251565404236316680908203126')).toBe('1.0000000000000002');
  });

  it('accepts the NaN and Infinity literals Python accepts, and no others', () => {
    expect(dumps('[NaN,Infinity,-Infinity]')).toBe('[NaN, Infinity, -Infinity]');
    for (const text of ['-NaN', '+Infinity', 'nan', 'inf', 'Infinity1', '-Infinit']) {
      expect(dumps(text)).toBeUndefined();
    }
  });

  it('rejects numbers JSON does not allow', () => {
    for (const text of ['01', '-01', '+1', '.5', '1.', '1e', '1e+', '-', '0x1', '1.e5', '[1.]']) {
      expect(dumps(text)).toBeUndefined();
    }
  });

  it('pythonFloatRepr matches repr(float) on its own', () => {
    expect(pythonFloatRepr(1)).toBe('1.0');
    expect(pythonFloatRepr(-0)).toBe('-0.0');
    expect(pythonFloatRepr(NaN)).toBe('NaN');
    expect(pythonFloatRepr(1e21)).toBe('1e+21');
    expect(pythonFloatRepr(123456789012345680000)).toBe('1.2345678901234568e+20');
    expect(pythonFloatRepr(0.000012)).toBe('1.2e-05');
    expect(pythonFloatRepr(-1e-100)).toBe('-1e-100');
  });
});

describe('invalid input', () => {
  it('gives undefined for invalid JSON and trailing data, never an exception', () => {
    for (const text of ['', ' ', '[', '[1,]', '[1 2]', '1 2', '[1]]', '{}x', 'nul', 'True', "{'a':1}", '/*c*/1', '\u00a01', '\f1']) {
      expect(() => dumps(text)).not.toThrow();
      expect(dumps(text)).toBeUndefined();
    }
  });

  it('treats a leading BOM in a string as CPython does a str: an error', () => {
    expect(dumps('\ufeff{"a":1}')).toBeUndefined();
  });

  it('never throws on any prefix or single-character corruption of a document', () => {
    const document = '{"a":[1,-2.5e-3,"\\u00e9\\ud83d\\ude00",{"b":null,"b":true}],"c":"x\\n"}';
    for (let end = 0; end <= document.length; end++) {
      expect(() => dumps(document.slice(0, end))).not.toThrow();
      for (const replacement of ['', '"', '\\', ']', '}', ',', ':', '\u0000']) {
        const corrupted = document.slice(0, end) + replacement + document.slice(end + 1);
        expect(() => dumps(corrupted)).not.toThrow();
      }
    }
    expect(dumps(document.slice(0, -1))).toBeUndefined();
  });
});

describe('nesting depth', () => {
  const nestedArrays = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

  it(`canonicalises up to ${MAX_CANONICAL_DEPTH} levels and refuses one more`, () => {
    expect(dumps(nestedArrays(MAX_CANONICAL_DEPTH))).toBe(nestedArrays(MAX_CANONICAL_DEPTH));
    expect(dumps(nestedArrays(MAX_CANONICAL_DEPTH + 1))).toBeUndefined();
    const nestedObjects = `${'{"a":'.repeat(MAX_CANONICAL_DEPTH - 1)}{}${'}'.repeat(MAX_CANONICAL_DEPTH - 1)}`;
    expect(dumps(nestedObjects)).toBe(nestedObjects.replaceAll(':', ': '));
    expect(dumps(`{"a":${nestedObjects}}`)).toBeUndefined();
  });

  it('returns undefined for 1 MiB of nesting without overflowing the stack', () => {
    const mebibyte = 1024 * 1024;
    const inputs = ['['.repeat(mebibyte), nestedArrays(mebibyte / 2), '{"a":'.repeat(mebibyte / 5), '[{"a":'.repeat(mebibyte / 6)];
    for (const input of inputs) {
      expect(() => dumps(input)).not.toThrow();
      expect(dumps(input)).toBeUndefined();
      expect(pythonJsonDumpsBytes(Buffer.from(input))).toBeUndefined();
    }
  });
});

describe('pythonJsonDumpsBytes', () => {
  it('decodes UTF-8 and escapes every non-ASCII character', () => {
    const body = Buffer.from('{"ad":"Ay\u015fe","\u015fehir":"\u0130stanbul","e":"\u{1F600}","n":"caf\u00e9"}', 'utf8');
    expect(pythonJsonDumpsBytes(body)).toBe(
      '{"ad": "Ay\\u015fe", "\\u015fehir": "\\u0130stanbul", "e": "\\ud83d\\ude00", "n": "caf\\u00e9"}',
    );
  });

  it('strips one leading UTF-8 BOM, as json.loads(bytes) does', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect(pythonJsonDumpsBytes(Buffer.concat([bom, Buffer.from(' {"a":1}')]))).toBe('{"a": 1}');
    expect(pythonJsonDumpsBytes(Buffer.concat([bom, bom, Buffer.from('{"a":1}')]))).toBeUndefined();
    expect(pythonJsonDumpsBytes(Buffer.concat([Buffer.from(' '), bom, Buffer.from('{"a":1}')]))).toBeUndefined();
    expect(pythonJsonDumpsBytes(bom)).toBeUndefined();
  });

  it('refuses invalid UTF-8, including encoded surrogates', () => {
    const invalid = [
      [0x22, 0x80, 0x22], // lone continuation byte
      [0x22, 0xc3, 0x22], // truncated sequence
      [0x22, 0xc0, 0x80, 0x22], // overlong NUL
      [0x22, 0xed, 0xa0, 0x80, 0x22], // encoded surrogate (CPython's surrogatepass would accept it)
      [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
      [0x22, 0xff, 0x22],
    ];
    for (const bytes of invalid) expect(pythonJsonDumpsBytes(Uint8Array.from(bytes))).toBeUndefined();
  });

  it('reads a plain Uint8Array and a view with an offset into a larger buffer', () => {
    expect(pythonJsonDumpsBytes(new TextEncoder().encode('["\u00e9"]'))).toBe('["\\u00e9"]');
    const backing = Buffer.from('xxxx{"a":[1,2]}yyyy');
    expect(pythonJsonDumpsBytes(backing.subarray(4, backing.length - 4))).toBe('{"a": [1, 2]}');
    expect(pythonJsonDumpsBytes(new Uint8Array(backing.buffer, backing.byteOffset + 4, 11))).toBe('{"a": [1, 2]}');
  });

  it('gives the same result as the string entry point for valid UTF-8', () => {
    const text = '{"k\u00fc":[1.5e-7,"\u{1F680}\\u00e9\\ud800",{"x":1,"x":2}],"z":"\u0000"}'.replace('\u0000', '\\u0000');
    expect(pythonJsonDumpsBytes(Buffer.from(text))).toBe(dumps(text));
    expect(dumps(text)).toBe('{"k\\u00fc": [1.5e-07, "\\ud83d\\ude80\\u00e9\\ud800", {"x": 2}], "z": "\\u0000"}');
  });
});

describe('Amani signatures (test/vectors/amani-signatures.json)', () => {
  it('has both re-serialised and verbatim bodies', () => {
    expect(signatureVectors.length).toBeGreaterThanOrEqual(40);
    expect(signatureVectors.some((vector) => vector.wireBody === vector.canonical)).toBe(true);
    expect(signatureVectors.filter((vector) => vector.wireBody !== vector.canonical).length).toBeGreaterThanOrEqual(40);
  });

  it.each(signatureVectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const canonical = pythonJsonDumps(vector.wireBody);
    expect(canonical).toBe(vector.canonical);
    expect(hmacBase64(vector.token, canonical ?? '', 'latin1')).toBe(vector.signature);
    const fromBytes = pythonJsonDumpsBytes(Buffer.from(vector.wireBody, 'utf8'));
    expect(hmacBase64(vector.token, fromBytes ?? '', 'latin1')).toBe(vector.signature);
    if (vector.wireBody !== vector.canonical) {
      // The raw body alone would not verify: the canonical form is what makes it pass.
      expect(hmacBase64(vector.token, vector.wireBody, 'utf8')).not.toBe(vector.signature);
    }
  });
});

describe('pythonJsonDumpsQuick (floats as written)', () => {
  const quick = (text: string) => {
    const result = pythonJsonDumpsQuick(Buffer.from(text, 'utf8'));
    return result && { text: result.bytes.toString('latin1'), exact: result.exact };
  };

  it('is the canonical form, exact, for a body without floats', () => {
    const text = '{"b":[1,true,null,"é"],"a":{"x":-0},"a":2}';
    expect(quick(text)).toEqual({ text: pythonJsonDumps(text), exact: true });
  });

  it('copies floats as written and says it is not exact', () => {
    expect(quick('{"score":0.50,"tiny":1E-7,"big":1e21,"ok":0.5}')).toEqual({
      text: '{"score": 0.50, "tiny": 1E-7, "big": 1e21, "ok": 0.5}',
      exact: false,
    });
    expect(pythonJsonDumps('{"score":0.50,"tiny":1E-7,"big":1e21,"ok":0.5}')).toBe(
      '{"score": 0.5, "tiny": 1e-07, "big": 1e+21, "ok": 0.5}',
    );
  });

  it('refuses what the canonical form refuses', () => {
    for (const text of ['{"a":1,}', '[01]', '{"a":"\u0001"}', '1.']) expect(quick(text)).toBeUndefined();
    expect(pythonJsonDumpsQuick(Buffer.from([0x7b, 0xff, 0x7d]))).toBeUndefined();
  });
});
