#!/usr/bin/env python3
"""Test vectors for lambda/core/python-json.ts, computed by CPython itself.

Regenerate with `npm run vectors` (runs `python3 test/vectors/generate.py`, standard library
only) and commit both output files. The output is deterministic: rerunning with the same
CPython (3.11 here) rewrites identical files.

test/vectors/python-json-dumps.json is an array of vectors:
  {"name", "input", "expected"}  where expected == json.dumps(json.loads(input))
  {"name", "input", "error": true}  where CPython raises (ValueError or RecursionError)
with optional fields:
  "depth": n  nesting depth of the input, present when deeper than 64 (the TypeScript cap,
              MAX_CANONICAL_DEPTH, is below CPython's own limit: see DEPTH vectors);
  "utf8Expected" / "utf8Error"  when json.loads(input.encode("utf-8")) differs from
              json.loads(input) (the bytes entry point strips a UTF-8 BOM);
  "stringOnly": true  the input holds a raw lone surrogate, so it has no UTF-8 form.

test/vectors/amani-signatures.json is an array of
  {"name", "token", "wireBody", "canonical", "signature"}
where canonical == json.dumps(payload), signature == base64(HMAC-SHA256(token as UTF-8,
canonical as UTF-8)), and wireBody is the same payload serialised some other way (or, for a
few, exactly canonical). json.dumps(json.loads(wireBody)) == canonical is asserted here.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DUMPS_FILE = os.path.join(HERE, "python-json-dumps.json")
SIGNATURES_FILE = os.path.join(HERE, "amani-signatures.json")

# Mirror of MAX_CANONICAL_DEPTH in lambda/core/python-json.ts (the test checks they agree).
TS_MAX_CANONICAL_DEPTH = 512
MAX_INT_DIGITS = 4300
REPORT_DEPTH_ABOVE = 64


def python_canonical(data):
    """json.dumps(json.loads(data)) or None when CPython raises a ValueError/RecursionError."""
    try:
        return json.dumps(json.loads(data))
    except (ValueError, RecursionError):
        return None


def nesting_depth(value):
    """Depth of nested lists/dicts, iteratively (the value may be deeper than Python's stack)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def has_lone_surrogate(text):
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


class Vectors:
    def __init__(self):
        self.items = []
        self.names = set()

    def add(self, name, text, expect=None):
        """Adds a vector; expect ('ok' or 'error') asserts what we believe CPython does."""
        if name in self.names:
            raise SystemExit(f"duplicate vector name: {name}")
        self.names.add(name)
        expected = python_canonical(text)
        if expect == "ok" and expected is None:
            raise SystemExit(f"vector {name!r}: expected CPython to accept it")
        if expect == "error" and expected is not None:
            raise SystemExit(f"vector {name!r}: expected CPython to reject it")
        vector = {"name": name, "input": text}
        if expected is None:
            vector["error"] = True
        else:
            vector["expected"] = expected
            depth = nesting_depth(json.loads(text))
            if depth > REPORT_DEPTH_ABOVE:
                vector["depth"] = depth
        if has_lone_surrogate(text):
            vector["stringOnly"] = True
        else:
            from_bytes = python_canonical(text.encode("utf-8"))
            if from_bytes != expected:
                if from_bytes is None:
                    vector["utf8Error"] = True
                else:
                    vector["utf8Expected"] = from_bytes
        self.items.append(vector)

    def python_depth_limit(self):
        """Smallest nesting depth at which CPython fails, called from the same stack depth as add."""
        depth = 1
        while python_canonical("[" * depth + "]" * depth) is not None:
            depth += 1
        return depth


def hand_picked(v):
    # --- scalars and simple containers
    for text in ["null", "true", "false", "0", "1", "-1", '""', '"a"', "[]", "{}", "[1,2,3]",
                 '{"a":1}', '{"a":[1,{"b":null}],"c":"d"}', '[[],{},[[]],[{}],{"a":{}}]']:
        v.add("basic " + text, text, "ok")
    v.add("pretty printed object", '{\n  "a": 1,\n  "b": [\n    true,\n    false\n  ]\n}', "ok")
    v.add("already canonical", '{"a": 1, "b": [true, false, null], "c": {"d": "e"}}', "ok")

    # --- whitespace
    v.add("whitespace of every kind between every token",
          ' \t\n\r{ \t\n\r"a" \t\n\r: \t\n\r[ \t\n\r1 \t\n\r, \t\n\r2 \t\n\r] \t\n\r} \t\n\r', "ok")
    v.add("whitespace inside empty array", "[ \t\n\r]", "ok")
    v.add("whitespace inside empty object", "{ \t\n\r}", "ok")
    v.add("leading and trailing whitespace around scalar", "\r\n\t 42 \t\r\n", "ok")
    v.add("CRLF pretty printing", '{\r\n\t"k": "v"\r\n}\r\n', "ok")
    for name, ch in [("form feed", "\f"), ("vertical tab", "\v"), ("no-break space", "\u00a0"),
                     ("line separator", "\u2028"), ("ideographic space", "\u3000"),
                     ("NUL", "\u0000"), ("BOM", "\ufeff"), ("zero width space", "\u200b")]:
        v.add(f"{name} as whitespace before value is invalid", ch + "1", "error")
        v.add(f"{name} as whitespace inside array is invalid", "[1," + ch + "2]", "error")
    v.add("BOM then object (str input)", '\ufeff{"a":1}', "error")
    v.add("two BOMs then object", '\ufeff\ufeff{"a":1}', "error")
    v.add("BOM after leading whitespace", ' \ufeff{"a":1}', "error")

    # --- short escapes, each alone and all together
    for escape in ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]:
        v.add(f"short escape {escape}", f'"x{escape}y"', "ok")
    v.add("all short escapes together", '"\\"\\\\\\/\\b\\f\\n\\r\\t"', "ok")
    v.add("slash raw and escaped", '{"url":"https:\\/\\/eu.amani.ai/api/v2/"}', "ok")
    v.add("escaped backslash before u", '"\\\\u0041"', "ok")
    v.add("escaped backslash then quote", '"\\\\\\""', "ok")
    for text, name in [('"\\u0041"', "ascii letter"), ('"\\u0022"', "quote"), ('"\\u005c"', "backslash"),
                       ('"\\u005C"', "backslash upper-case hex"), ('"\\u002f"', "slash"),
                       ('"\\u0020"', "space"), ('"\\u007e"', "tilde"), ('"\\u00e9"', "e acute"),
                       ('"\\u00E9"', "e acute upper-case hex"), ('"\\u00c9\\u00C9"', "E acute both cases"),
                       ('"\\uFFFF"', "U+FFFF upper"), ('"\\uffff"', "U+FFFF lower"), ('"\\uFEFF"', "BOM in string"),
                       ('"\\u2028\\u2029"', "line and paragraph separators"), ('"\\uAbCd"', "mixed-case hex"),
                       ('"\\u0130\\u0131\\u015f\\u011f"', "Turkish dotted/dotless i, s and g cedilla/breve")]:
        v.add(f"unicode escape {name}", text, "ok")
    for text, name in [('"\\x41"', "\\x"), ('"\\U00000041"', "\\U"), ('"\\u12"', "short \\u"),
                       ('"\\u12G4"', "non-hex \\u"), ('"\\u 123"', "space in \\u"), ("\"\\'\"", "\\'"),
                       ('"\\a"', "\\a"), ('"\\0"', "\\0"), ('"\\v"', "\\v"), ('"\\', "trailing backslash"),
                       ('"abc', "unterminated"), ('"\\"', "escaped closing quote"), ('"\\u00"', "two-digit \\u"),
                       ('"\\ud800\\u12"', "high surrogate then short \\u"), ('"\\ud800\\uzzzz"', "high surrogate then bad \\u"),
                       ("'single'", "single quotes"), ('"\\\u00e9"', "backslash before non-ASCII")]:
        v.add(f"invalid escape {name}", text, "error")

    # --- every control character, and the DEL..NBSP range
    for code in range(0x00, 0x20):
        v.add(f"control U+{code:04X} escaped lower-case hex", f'"<\\u{code:04x}>"', "ok")
        v.add(f"control U+{code:04X} escaped upper-case hex", f'"<\\u{code:04X}>"', "ok")
        v.add(f"control U+{code:04X} raw is invalid", f'"<{chr(code)}>"', "error")
    for code in range(0x7F, 0xA1):
        v.add(f"U+{code:04X} raw", f'"<{chr(code)}>"', "ok")
        v.add(f"U+{code:04X} escaped", f'"<\\u{code:04X}>"', "ok")
    v.add("all C0 controls escaped in one key and value",
          "{" + '"' + "".join(f"\\u{c:04x}" for c in range(32)) + '":"' + "".join(f"\\u{c:04X}" for c in range(32)) + '"}', "ok")

    # --- Unicode: BMP, astral, surrogates
    v.add("BMP letters raw", '"Ay\u015fe \u00c7a\u011fr\u0131 M\u00fcller Jos\u00e9 Zo\u00eb \u0141ukasz \u00d8yvind"', "ok")
    v.add("non-Latin scripts raw", '"\u0645\u062d\u0645\u062f \u0418\u0432\u0430\u043d \u5c71\u7530 \u05e9\u05dc\u05d5\u05dd \u0928\u092e\u0938\u094d\u0924\u0947"', "ok")
    v.add("combining marks raw", '"e\u0301 a\u0308 n\u0303"', "ok")
    v.add("astral raw emoji", '"\U0001F600"', "ok")
    v.add("astral raw family emoji with ZWJ", '"\U0001F468\u200d\U0001F469\u200d\U0001F467"', "ok")
    v.add("astral raw U+10000 and U+10FFFF", '"\U00010000\U0010FFFF"', "ok")
    v.add("astral raw music symbol", '"\U0001D11E"', "ok")
    v.add("astral escaped pair lower", '"\\ud83d\\ude00"', "ok")
    v.add("astral escaped pair upper", '"\\uD83D\\uDE00"', "ok")
    v.add("astral escaped pair mixed case", '"\\uD83d\\uDe00"', "ok")
    v.add("astral escaped max", '"\\udbff\\udfff"', "ok")
    v.add("lone high surrogate escaped", '"\\ud800"', "ok")
    v.add("lone low surrogate escaped", '"\\udc00"', "ok")
    v.add("lone high surrogate escaped upper", '"\\uDBFF"', "ok")
    v.add("high high low", '"\\ud800\\ud83d\\ude00"', "ok")
    v.add("low then high (reversed pair)", '"\\ude00\\ud83d"', "ok")
    v.add("high then letter escape", '"\\ud83d\\u0041"', "ok")
    v.add("high then letter", '"\\ud83dA"', "ok")
    v.add("high at end of string", '"abc\\ud83d"', "ok")
    v.add("high then short escape", '"\\ud83d\\n"', "ok")
    v.add("escaped high then raw astral", '"\\ud83d\U0001F600"', "ok")
    v.add("lone surrogates in key", '{"\\ud800":1,"\\udc00":2}', "ok")
    v.add("escaped pair vs raw astral key are the same key", '{"\\ud83d\\ude00":1,"\U0001F600":2}', "ok")
    # A JS string can hold raw lone surrogates; CPython never joins a raw and an escaped half.
    v.add("string only: escaped high then raw low", '"\\ud83d\ude00"', "ok")
    v.add("string only: raw high then escaped low", '"\ud83d\\ude00"', "ok")
    v.add("string only: raw lone high", '"\ud800"', "ok")
    v.add("string only: raw lone low", '"\udfff"', "ok")
    v.add("string only: split pair key is not the astral key",
          '{"\\ud83d\ude00":1,"\\ud83d\\ude00":2,"\U0001F600":3}', "ok")
    v.add("string only: raw high escaped low key is not the astral key",
          '{"\ud83d\\ude00":1,"\\ud83d\\ude00":2}', "ok")
    v.add("string only: same split key twice is a duplicate",
          '{"\\ud83d\ude00":1,"x":2,"\\ud83d\ude00":3}', "ok")
    v.add("string only: split pairs at different places are different keys",
          '{"a\\ud83d\udc00b":1,"a\\ud83d\\udc00b":2,"a\\ud83d\udc00b":3}', "ok")
    v.add("raw non-ASCII outside a string is invalid", "[1,\u00e9]", "error")

    # --- duplicate keys (Python dict: first position, last value)
    for text, name in [
        ('{"a":1,"a":2}', "simple"),
        ('{"a":1,"b":2,"a":3}', "keeps first position"),
        ('{"2":1,"1":2,"2":3}', "integer-like keys"),
        ('{"10":1,"2":2,"1":3,"0":4}', "integer-like keys without duplicates keep order"),
        ('{"b":1,"a":2,"1":3,"-1":4,"01":5,"1.0":6}', "number-like keys keep order"),
        ('{"":1,"":2}', "empty key"),
        ('{"a":1,"a":2,"a":3}', "triple"),
        ('{"a":1,"b":2,"a":3,"b":4,"c":5,"b":6}', "interleaved"),
        ('{"a":{"x":1,"x":2},"b":[{"y":1,"y":2}]}', "nested in object and array"),
        ('{"a":{"x":1},"a":{"y":2,"y":3}}', "duplicate whose last value has duplicates"),
        ('{"a":[1,2,3],"a":"s"}', "container replaced by scalar"),
        ('{"a":"s","a":{"deep":[{"k":1,"k":2}]}}', "scalar replaced by container"),
        ('[{"a":1,"a":2},{"a":3},{"b":1,"b":{}}]', "in sibling objects"),
        ('{"\u00e9":1,"\\u00e9":2,"\\u00E9":3}', "raw and escaped spellings"),
        ('{"\\u0061":1,"a":2}', "escaped ascii spelling"),
        ('{"a\\/b":1,"a/b":2}', "escaped slash spelling"),
        ('{"\\"":1,"\\u0022":2}', "escaped quote spellings"),
        ('{"__proto__":1,"constructor":2,"__proto__":3,"toString":4}', "JS prototype names"),
        ('{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k3":33}', "in a large object"),
        ('{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11}', "none in a large object"),
        ('{"gwzx":1,"16cd":2}', "none among keys with equal FNV-1a hashes"),
        ('{"gwzx":1,"16cd":2,"gwzx":3}', "among keys with equal FNV-1a hashes"),
        ('{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"gwzx":1,"16cd":2}', "none among many keys with equal hashes"),
        ('{"a":{"a":{"a":1,"a":2},"a":3},"a":{"a":4}}', "same key at every level"),
        ('{"x":1,"y":{"x":2},"x":{"y":1,"x":0,"y":2}}', "duplicate with nested duplicate after"),
        ('{ "a" : 1 , "a" : 2 }', "with whitespace"),
        ('{"a":1,"A":2}', "case differs (not duplicates)"),
        ('{"\U0001F600":1,"\\ud83d\\ude00":2}', "raw astral and escaped pair"),
    ]:
        v.add("duplicate keys " + name, text, "ok")

    # --- ints
    for text in ["0", "-0", "1", "-1", "123", "-123", "9007199254740991", "9007199254740992",
                 "9007199254740993", "-9007199254740993", "18446744073709551615", "18446744073709551616",
                 "9223372036854775807", "-9223372036854775808", "1" + "0" * 99, "-" + "9" * 100,
                 "12345678901234567890123456789012345678901234567890", "[-0,0,-0]",
                 "9999999999999999", "10000000000000000", "100000000000000000000000"]:
        v.add(f"int {text[:40]}", text, "ok")
    v.add("int 4300 digits", "7" * MAX_INT_DIGITS, "ok")
    v.add("int -4300 digits", "-" + "7" * MAX_INT_DIGITS, "ok")
    v.add("int 4301 digits", "7" * (MAX_INT_DIGITS + 1), "error")
    v.add("int -4301 digits", "-" + "7" * (MAX_INT_DIGITS + 1), "error")
    v.add("int 4301 digits inside object", '{"n":' + "1" * (MAX_INT_DIGITS + 1) + "}", "error")
    v.add("float with 4400 integer digits is fine", "1" * 4400 + ".0", "ok")
    v.add("float with 5000 fraction digits is fine", "0." + "3" * 5000, "ok")

    # --- floats
    floats = [
        "0.0", "-0.0", "0e0", "-0e0", "0E+5", "-0.0e-5", "0.1", "0.2", "0.3", "0.5", "1.0", "-1.0", "1.5",
        "100.0", "1e0", "1E0", "1e+0", "1e-0", "1E2", "1e5", "1e+05", "1E+005", "0.000001", "123.4500e-3",
        "3.14159", "2.718281828459045", "0.30000000000000004", "1e15", "1E15", "9e15", "1e16", "1.0e16",
        "9999999999999998.0", "9999999999999999.0", "10000000000000001.0", "12345678901234567.0",
        "1e17", "1e20", "1e21", "1e22", "1e23", "123456789012345678901234567890.0",
        "1e-4", "0.0001", "1.0001e-4", "0.00009999999999999999", "9.999999999999999e-5", "1e-5", "0.00001",
        "1.5e-5", "1e-6", "1e-7", "1.23e-7", "0.00000123", "1e-10", "1e-100", "1.5e300", "1e308",
        "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308", "-1.7976931348623157e308",
        "1e309", "1e400", "-1e400", "1E999999", "1e-400", "-1e-400", "1e-999999", "5e-324", "-5e-324",
        "4.9406564584124654e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "3e-324",
        "2.2250738585072014e-308", "2.2250738585072011e-308", "2.225073858507201e-308", "1e-308", "1e-320",
        "9007199254740993.0", "9007199254740992.0", "9007199254740993e0", "4.35", "0.1e1", "10.0e-1",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203126",
        "1.0000000000000002", "0.9999999999999999", "0." + "0" * 300 + "1", "1" + "0" * 400 + ".0",
        "1e0000000000000000000000001", "0.0e-999999", "123e-2", "1.2345678901234567e-300",
        "8.98846567431158e307", "4.440892098500626e-16", "2.220446049250313e-16", "1e-05", "1e+16",
        "100000.0", "1234567.125", "-2.5e-3", "6.02214076e23", "1.602176634e-19", "299792458.0",
    ]
    for text in floats:
        v.add(f"float {text if len(text) <= 60 else text[:24] + f'...({len(text)} chars)'}", text, "ok")
    v.add("floats in an array with varied spellings", "[" + ",".join(floats[:40]) + "]", "ok")

    # --- non-finite literals
    for text in ["NaN", "Infinity", "-Infinity", "[NaN,Infinity,-Infinity]", '{"a":NaN,"b":-Infinity}']:
        v.add(f"literal {text}", text, "ok")
    for text in ["-NaN", "+Infinity", "+NaN", "nan", "inf", "-inf", "infinity", "Inf", "NAN", "Infinity1",
                 "NaN0", "-Infinit", "--Infinity", "- Infinity", "Infinityy"]:
        v.add(f"invalid literal {text}", text, "error")

    # --- invalid numbers and literals
    for text in ["01", "-01", "00", "+1", ".5", "1.", "1.e5", "-.5", "1e", "1e+", "1e-", "-", "--1",
                 "0x10", "1_000", "1,000", "[1.]", "[01]", "1e5.5", "1.5.5", "- 1", "1 .5", "\u0661",
                 "[-]", "1ee5", "1E+-5", "0.e1", "tru", "nulll", "True", "None", "undefined", "fals", "t"]:
        v.add(f"invalid token {text}", text, "error")

    # --- invalid structure
    for text in ["", " ", "[", "]", "{", "}", "[1", "[1,]", "[,1]", "[,]", "{,}", '{"a"}', '{"a":}',
                 '{"a":1,}', "{a:1}", "{'a':1}", '{"a" 1}', "[1 2]", '{"a":1 "b":2}', "1 2", '"a" "b"',
                 "[1]]", "{}}", "[}", "{]", '{"a":1]', "[1}", "//comment\n1", "/* */1", "[1,,2]", "[1]x",
                 '{"a":[1,{"b":2}]', "[[[", "]]]", '{"a":1}{"b":2}', '{1:2}', '{null:1}', '{"a"::1}',
                 '{"a":1,,"b":2}', "[1]\u0000", "nul", '{"a":1}\n,', "[\"a\",]", '{"":}']:
        v.add(f"invalid structure {text[:30]!r}", text, "error")

    # --- keys
    v.add("long key", '{"' + "k" * 1000 + '":1}', "ok")
    v.add("key with every escape", '{"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00":1}', "ok")
    v.add("non-ASCII keys", '{"ad\u0131":"Ay\u015fe","soyad\u0131":"Y\u0131lmaz","\u015fehir":"\u0130stanbul"}', "ok")
    v.add("keys that look like JSON", '{"{}":1,"[]":2,":":3,",":4,"\\"":5}', "ok")

    # --- realistic Amani-like deliveries
    v.add("profile_status_change compact",
          '{"event":"profile_status_change","profile":{"id":12345,"status":"PENDING_REVIEW",'
          '"first_name":"\u00c7a\u011fr\u0131","last_name":"\u00d6zt\u00fcrk","score":0.875,'
          '"documents":[{"type":"ID","status":"APPROVED","url":"https://eu.amani.ai/media/a.jpg"}]}}', "ok")
    v.add("document_upload pretty ensure_ascii",
          json.dumps({"event": "document_upload", "document": {"id": "d-1", "pages": 2, "confidence": 99.5,
                      "holder": "Ay\u015fe G\u00fcl"}, "tags": []}, indent=2), "ok")


def depth_vectors(v):
    """Around our cap and around CPython's own limit; returns CPython's limit."""
    python_limit = v.python_depth_limit()
    if python_limit <= TS_MAX_CANONICAL_DEPTH + 1:
        raise SystemExit(f"CPython fails at depth {python_limit}: MAX_CANONICAL_DEPTH must stay below it")
    def arrays(depth, leaf=""):
        return "[" * depth + leaf + "]" * depth

    def objects(depth):
        return '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)

    def mixed(depth):
        opens = "".join("[" if level % 2 else '{"k":' for level in range(depth - 1))
        closes = "".join("]" if level % 2 else "}" for level in reversed(range(depth - 1)))
        return opens + "[]" + closes

    cap = TS_MAX_CANONICAL_DEPTH
    for depth in sorted({2, 50, 100, cap - 1, cap, cap + 1, python_limit - 1, python_limit}):
        expect = "ok" if depth < python_limit else "error"
        v.add(f"depth {depth} arrays", arrays(depth), expect)
        v.add(f"depth {depth} arrays with a leaf", arrays(depth, "1"), expect)
        v.add(f"depth {depth} objects", objects(depth), expect)
        v.add(f"depth {depth} mixed", mixed(depth), expect)
    v.add("depth 5000 arrays", arrays(5000), "error")
    v.add("depth 5000 unclosed arrays", "[" * 5000, "error")
    v.add("deep array beside shallow values",
          "[1," + arrays(cap - 1) + ',{"a":' + arrays(cap - 2) + "}]", "ok")
    return python_limit


# ---------------------------------------------------------------------------------------------
# Seeded random JSON texts, built as text so they carry whitespace, escapes, duplicate keys and
# varied number spellings that no serialiser would produce.

WHITESPACE = [" ", "\t", "\n", "\r"]
SHORT_ESCAPES = ['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]
KEY_POOL = ["a", "b", "id", "name", "2", "1", "10", "", "\u00e9", "__proto__", "k\u0131", "\U0001F600"]


def random_whitespace(rng):
    if rng.random() < 0.6:
        return ""
    return "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(1, 3)))


def random_char(rng):
    roll = rng.random()
    if roll < 0.45:
        return chr(rng.randint(0x20, 0x7E)).replace("\\", "\\\\").replace('"', '\\"')
    if roll < 0.55:
        return rng.choice(SHORT_ESCAPES)
    if roll < 0.70:
        code = rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0xFFFF), rng.randint(0xD800, 0xDFFF)])
        return "\\u" + (f"{code:04x}" if rng.random() < 0.5 else f"{code:04X}")
    if roll < 0.75:
        high, low = 0xD800 + rng.randint(0, 0x3FF), 0xDC00 + rng.randint(0, 0x3FF)
        return f"\\u{high:04x}\\u{low:04X}"
    if roll < 0.90:
        code = rng.randint(0x7F, 0xFFFF)
        while 0xD800 <= code <= 0xDFFF:
            code = rng.randint(0x7F, 0xFFFF)
        return chr(code)
    return chr(rng.randint(0x10000, 0x10FFFF))


def random_string(rng):
    return '"' + "".join(random_char(rng) for _ in range(rng.randint(0, 12))) + '"'


def random_digits(rng, count):
    return "".join(rng.choice("0123456789") for _ in range(count))


def random_number(rng):
    sign = "-" if rng.random() < 0.3 else ""
    roll = rng.random()
    if roll < 0.3:
        integer = "0" if rng.random() < 0.15 else str(rng.randint(1, 9)) + random_digits(rng, rng.randint(0, 30))
        return sign + integer
    integer = "0" if rng.random() < 0.3 else str(rng.randint(1, 9)) + random_digits(rng, rng.randint(0, 20))
    fraction = "." + random_digits(rng, rng.randint(1, 20)) if rng.random() < 0.7 else ""
    exponent = ""
    if not fraction or rng.random() < 0.6:
        exponent = rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.choice(
            [rng.randint(0, 9), rng.randint(0, 30), rng.randint(280, 330), rng.randint(0, 400)]))
    return sign + integer + fraction + exponent


def random_bits_float(rng):
    """A float from 64 random bits (finite), spelled several ways."""
    while True:
        value = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if value == value and value not in (float("inf"), float("-inf")):
            break
    spelling = rng.choice(["repr", "17g", "20e", "upper"])
    if spelling == "repr":
        return repr(value)
    if spelling == "17g":
        text = "%.17g" % value
        return text if any(c in text for c in ".e") else text + ".0"
    if spelling == "20e":
        return "%.20e" % value
    return repr(value).upper()


def random_value(rng, depth):
    roll = rng.random()
    if depth < 6 and roll < 0.25:
        items = [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
        return "[" + random_whitespace(rng) + ("," + random_whitespace(rng)).join(
            item + random_whitespace(rng) for item in items) + "]"
    if depth < 6 and roll < 0.5:
        members = []
        for _ in range(rng.randint(0, 6)):
            key = rng.choice(KEY_POOL) if rng.random() < 0.5 else None
            key_text = random_string(rng) if key is None else json.dumps(key, ensure_ascii=rng.random() < 0.5)
            members.append(random_whitespace(rng) + key_text + random_whitespace(rng) + ":" +
                           random_whitespace(rng) + random_value(rng, depth + 1) + random_whitespace(rng))
        return "{" + random_whitespace(rng) + ",".join(members) + "}"
    if roll < 0.65:
        return random_string(rng)
    if roll < 0.85:
        return random_number(rng)
    if roll < 0.9:
        return random_bits_float(rng)
    return rng.choice(["true", "false", "null", "NaN", "Infinity", "-Infinity"])


def random_vectors(v):
    rng = random.Random(20240601)
    for index in range(200):
        text = random_whitespace(rng) + random_value(rng, 0) + random_whitespace(rng)
        v.add(f"random document {index:03d}", text, "ok")
    for index in range(150):
        v.add(f"random float bits {index:03d}", random_bits_float(rng), "ok")
    for index in range(50):
        # Corrupt a valid random document at one place: mostly invalid, always deterministic.
        text = random_value(rng, 0)
        at = rng.randint(0, len(text))
        text = text[:at] + rng.choice(["", ",", "]", "}", ":", '"', "\\", "\u0000", "x", " "]) + text[at + 1:]
        v.add(f"random corrupted document {index:03d}", text)


# ---------------------------------------------------------------------------------------------
# Amani signature vectors.

def amani_payloads(rng):
    first_names = ["Ay\u015fe", "\u00c7a\u011fr\u0131", "Mehmet", "Zo\u00eb", "Jos\u00e9", "\u0141ukasz",
                   "\u0645\u062d\u0645\u062f", "\u5c71\u7530", "\u0130lker", "G\u00fcl"]
    last_names = ["Y\u0131lmaz", "\u00d6zt\u00fcrk", "M\u00fcller", "Smith", "O'Brien", "\u015eahin"]
    statuses = ["CREATED", "INCOMPLETE", "PENDING_REVIEW", "APPROVED", "REJECTED", "BLACKLISTED",
                "PENDING_APPROVAL", "PENDING_UPLOAD", "INACTIVE", "Pending Review"]
    events = ["profile_create", "profile_update", "profile_status_change", "profile_level_update",
              "document_upload", "document_delete", "document_update", "document_status_change",
              "zip_file_create", "video_call_status_change"]
    payloads = []
    for index in range(48):
        event = events[index % len(events)]
        profile = {
            "id": rng.randint(1, 10**9),
            "first_name": rng.choice(first_names),
            "last_name": rng.choice(last_names),
            "status": rng.choice(statuses),
            "birth_date": f"19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "id_card_number": str(rng.randint(10**10, 10**11 - 1)),
            "score": round(rng.random(), rng.randint(1, 17)),
            "level": rng.randint(0, 3),
            "address": {"city": "\u0130stanbul", "line": f"Cad. No: {rng.randint(1, 200)}/{rng.randint(1, 9)}",
                        "zip": "34" + str(rng.randint(100, 999))},
            "documents": [{"type": rng.choice(["ID", "PA", "DL", "SE"]), "status": rng.choice(statuses),
                           "url": f"https://eu.amani.ai/media/{rng.randint(1, 99999)}.jpg",
                           "ratio": rng.choice([1.0, 0.5, 1e-7, 1e16, 12.75, 100.0, 3.0e-5])}
                          for _ in range(rng.randint(0, 3))],
            "tags": rng.choice([[], ["vip"], ["kyc", "tr", None], [True, False]]),
            "note": rng.choice(["", "line1\nline2", "tab\there", 'quote " and \\ backslash', "emoji \U0001F600",
                                "ctrl \u0001\u001f\u007f", "slash a/b", "<script>&amp;</script>"]),
            "metadata": {},
        }
        payload = {"event": event, "profile": profile, "timestamp": 1714560000 + index * 37}
        if index % 5 == 0:
            payload["big_int"] = 10**30 + index
        if index % 7 == 0:
            payload["ratio"] = rng.choice([0.1, 2.5e-10, 1.7976931348623157e308, -0.0, 5e-324])
        payloads.append(payload)
    return payloads


def upper_hex_escaping(value):
    """A serialiser that escapes all non-ASCII and slashes, with upper-case hex (e.g. PHP-like)."""
    if isinstance(value, dict):
        return "{" + ",".join(upper_hex_escaping(k) + ":" + upper_hex_escaping(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(upper_hex_escaping(item) for item in value) + "]"
    if isinstance(value, str):
        out = []
        for ch in value:
            code = ord(ch)
            if ch == "/":
                out.append("\\/")
            elif ch in '"\\':
                out.append("\\" + ch)
            elif 0x20 <= code < 0x7F:
                out.append(ch)
            elif code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
            else:
                out.append(f"\\u{code:04X}")
        return '"' + "".join(out) + '"'
    return json.dumps(value)


def wire_serialisations():
    return [
        ("compact separators", lambda p: json.dumps(p, separators=(",", ":"))),
        ("compact ensure_ascii=False", lambda p: json.dumps(p, separators=(",", ":"), ensure_ascii=False)),
        ("ensure_ascii=False", lambda p: json.dumps(p, ensure_ascii=False)),
        ("indent=2", lambda p: json.dumps(p, indent=2)),
        ("indent=4 ensure_ascii=False", lambda p: json.dumps(p, indent=4, ensure_ascii=False)),
        ("tab indent CRLF", lambda p: json.dumps(p, indent="\t", ensure_ascii=False).replace("\n", "\r\n")),
        ("upper-case hex escapes and escaped slashes", upper_hex_escaping),
        ("spaces around separators", lambda p: json.dumps(p, separators=(" , ", " : "))),
    ]


def signature_vectors():
    rng = random.Random(7)
    serialisers = wire_serialisations()
    tokens = ["n8Gq3vLk2pXw9RtY", "sk_live_" + "a1B2c3D4e5F6g7H8", "t\u00f6ken-with-\u00fcml\u00e4uts", "x" * 64]
    vectors = []
    for index, payload in enumerate(amani_payloads(rng)):
        canonical = json.dumps(payload)
        if index < 4:
            style, wire = "identical to canonical", canonical
        else:
            style, serialise = serialisers[index % len(serialisers)]
            wire = serialise(payload)
        if json.dumps(json.loads(wire)) != canonical:
            raise SystemExit(f"signature vector {index}: the wire body does not round-trip")
        token = tokens[index % len(tokens)]
        digest = hmac.new(token.encode("utf-8"), canonical.encode("utf-8"), hashlib.sha256).digest()
        vectors.append({
            "name": f"{payload['event']} #{index:02d} ({style})",
            "token": token,
            "wireBody": wire,
            "canonical": canonical,
            "signature": base64.b64encode(digest).decode("ascii"),
        })
    return vectors


def write_json(path, value):
    with open(path, "w", encoding="ascii", newline="\n") as handle:
        json.dump(value, handle, indent=1, ensure_ascii=True)
        handle.write("\n")


def main():
    if sys.version_info[:2] != (3, 11):
        print(f"warning: vectors are specified against CPython 3.11, this is {sys.version.split()[0]}",
              file=sys.stderr)
    vectors = Vectors()
    hand_picked(vectors)
    python_limit = depth_vectors(vectors)
    random_vectors(vectors)
    write_json(DUMPS_FILE, vectors.items)
    signatures = signature_vectors()
    write_json(SIGNATURES_FILE, signatures)
    errors = sum(1 for item in vectors.items if item.get("error"))
    print(f"{os.path.relpath(DUMPS_FILE)}: {len(vectors.items)} vectors ({errors} errors); CPython depth limit here: "
          f"{python_limit - 1} ok, {python_limit} fails")
    print(f"{os.path.relpath(SIGNATURES_FILE)}: {len(signatures)} vectors")


if __name__ == "__main__":
    main()
