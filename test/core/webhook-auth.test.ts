import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { decodeSignature, hmacSha256, verifySignature, verifyToken } from '../../lambda/core/webhook-auth';
import type { CandidateToken } from '../../lambda/core/token-secret';

const current: CandidateToken = { generation: 'current', value: 'tok-current' };
const previous: CandidateToken = { generation: 'previous', value: 'tok-previous' };
const sign = (token: string, message: string | Buffer) => createHmac('sha256', token).update(message).digest('base64');
const body = Buffer.from('{"event":"profile_update","name":"Zoë"}');
const canonical = '{"event": "profile_update", "name": "Zo\\u00eb"}';

describe('decodeSignature', () => {
  it('accepts exactly standard padded base64 of 32 bytes', () => {
    const good = sign('k', 'm');
    expect(decodeSignature(good)?.length).toBe(32);
    expect(decodeSignature(` ${good} `)?.length).toBe(32);
    for (const bad of [
      good.slice(0, -1),
      `${good}=`,
      good.replace('=', 'A'),
      `${good.slice(0, 42)}B=`,
      '',
      'x'.repeat(44),
      Buffer.alloc(33).toString('base64'),
    ]) {
      expect(decodeSignature(bad)).toBeUndefined();
    }
  });

  it('never throws on arbitrary header values', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (value) => {
        const decoded = decodeSignature(value);
        return decoded === undefined || decoded.length === 32;
      }),
      { numRuns: 2000 },
    );
  });
});

/** An HMAC that records which token and which form (raw bytes, canonical text) it was computed over. */
function countMacs() {
  const macs: string[] = [];
  const countingMac = (token: string, message: Uint8Array | string) => {
    macs.push(`${token} over ${typeof message === 'string' ? 'canonical' : 'raw'}`);
    return hmacSha256(token, message);
  };
  return { macs, countingMac };
}

describe('verifySignature', () => {
  const check = (signature: string | undefined, tokens = [current, previous], expiredToken?: string) => {
    let canonicalCalls = 0;
    const result = verifySignature({
      signature,
      body,
      tokens,
      expiredToken,
      canonicalForm: () => {
        canonicalCalls++;
        return canonical;
      },
    });
    return { result, canonicalCalls };
  };

  it('matches the raw body without computing the canonical form', () => {
    expect(check(sign('tok-current', body))).toEqual({ result: { ok: true, generation: 'current', form: 'raw' }, canonicalCalls: 0 });
  });

  it('matches the canonical form with either token', () => {
    expect(check(sign('tok-current', canonical)).result).toEqual({
      ok: true,
      generation: 'current',
      form: 'python-json',
      signed: canonical,
    });
    expect(check(sign('tok-previous', canonical)).result).toEqual({
      ok: true,
      generation: 'previous',
      form: 'python-json',
      signed: canonical,
    });
    expect(check(sign('tok-previous', body)).result).toEqual({ ok: true, generation: 'previous', form: 'raw' });
  });

  it('labels a signature made with the expired previous token, and still rejects it', () => {
    expect(check(sign('tok-old', body), [current], 'tok-old').result).toEqual({ ok: false, reason: 'expired-token' });
    expect(check(sign('tok-old', canonical), [current], 'tok-old').result).toEqual({ ok: false, reason: 'expired-token' });
    expect(check(sign('tok-other', body), [current], 'tok-old').result).toEqual({ ok: false, reason: 'bad-credential' });
  });

  it('distinguishes missing, malformed and wrong signatures (for metrics only)', () => {
    expect(check(undefined).result).toEqual({ ok: false, reason: 'missing-credential' });
    expect(check('   ').result).toEqual({ ok: false, reason: 'missing-credential' });
    expect(check('abc').result).toEqual({ ok: false, reason: 'malformed-credential' });
    expect(check(sign('nope', body)).result).toEqual({ ok: false, reason: 'bad-credential' });
    expect(check(sign('tok-current', body), []).result).toEqual({ ok: false, reason: 'no-token-configured' });
  });

  it('does not verify the canonical form again when it equals the raw body', () => {
    const raw = Buffer.from(canonical);
    let calls = 0;
    const { macs, countingMac } = countMacs();
    const result = verifySignature(
      {
        signature: sign('x', raw),
        body: raw,
        tokens: [current, previous],
        expiredToken: 'tok-old',
        canonicalForm: () => {
          calls++;
          return canonical;
        },
      },
      countingMac,
    );
    expect(result).toEqual({ ok: false, reason: 'bad-credential' });
    expect(calls).toBe(1);
    // One HMAC per token over the raw body, one for the expired token's label: none over the identical canonical text.
    expect(macs).toEqual(['tok-current over raw', 'tok-previous over raw', 'tok-old over raw']);
  });

  it('verifies a canonical form that differs from the raw body with every token', () => {
    const { macs, countingMac } = countMacs();
    verifySignature({ signature: sign('x', body), body, tokens: [current, previous], canonicalForm: () => canonical }, countingMac);
    expect(macs).toEqual(['tok-current over raw', 'tok-previous over raw', 'tok-current over canonical', 'tok-previous over canonical']);
  });

  describe('the quick canonical form (floats as written)', () => {
    const quickBytes = Buffer.from(canonical, 'latin1');
    const otherCanonical = '{"event": "profile_update", "name": "Zo\\u00eb", "score": 0.1}';
    const run = (signature: string, quick: { bytes: Buffer; exact: boolean } | undefined, expiredToken?: string) => {
      const calls = { quick: 0, canonical: 0 };
      const { macs, countingMac } = countMacs();
      const result = verifySignature(
        {
          signature,
          body,
          tokens: [current],
          expiredToken,
          quickCanonicalForm: () => {
            calls.quick++;
            return quick;
          },
          canonicalForm: () => {
            calls.canonical++;
            return otherCanonical;
          },
        },
        countingMac,
      );
      return { result, calls, macs };
    };

    it('is tried first, and an exact one spares the canonical form', () => {
      const exact = run(sign('tok-current', quickBytes), { bytes: quickBytes, exact: true });
      expect(exact.result).toEqual({ ok: true, generation: 'current', form: 'python-json', signed: quickBytes });
      expect(exact.calls).toEqual({ quick: 1, canonical: 0 });
      const refused = run(sign('tok-other', quickBytes), { bytes: quickBytes, exact: true });
      expect(refused.result).toEqual({ ok: false, reason: 'bad-credential' });
      expect(refused.calls).toEqual({ quick: 1, canonical: 0 });
    });

    it('publishes exactly the bytes it matched, exact or not', () => {
      const inexact = run(sign('tok-current', quickBytes), { bytes: quickBytes, exact: false });
      expect(inexact.result).toEqual({ ok: true, generation: 'current', form: 'python-json', signed: quickBytes });
      expect(inexact.calls.canonical).toBe(0);
    });

    it('falls back to the canonical form when an inexact quick form does not match', () => {
      const fallback = run(sign('tok-current', otherCanonical), { bytes: quickBytes, exact: false });
      expect(fallback.result).toEqual({ ok: true, generation: 'current', form: 'python-json', signed: otherCanonical });
      expect(fallback.calls).toEqual({ quick: 1, canonical: 1 });
      expect(fallback.macs).toEqual(['tok-current over raw', 'tok-current over raw', 'tok-current over canonical']);
    });

    it('labels an expired token over either form', () => {
      expect(run(sign('tok-old', quickBytes), { bytes: quickBytes, exact: false }, 'tok-old').result).toEqual({
        ok: false,
        reason: 'expired-token',
      });
      expect(run(sign('tok-old', otherCanonical), { bytes: quickBytes, exact: false }, 'tok-old').result).toEqual({
        ok: false,
        reason: 'expired-token',
      });
    });

    it('is not verified again when it equals the raw body', () => {
      const same = run(sign('tok-other', body), { bytes: Buffer.from(body), exact: true });
      expect(same.result).toEqual({ ok: false, reason: 'bad-credential' });
      expect(same.macs).toEqual(['tok-current over raw']);
    });
  });

  it('accepts only signatures made with an accepted token, over random bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.string({ minLength: 1 }), fc.boolean(), (bytes, token, useCurrent) => {
        const data = Buffer.from(bytes);
        const signer = useCurrent ? 'tok-current' : token;
        const result = verifySignature({ signature: sign(signer, data), body: data, tokens: [current], canonicalForm: () => undefined });
        return result.ok === (signer === 'tok-current');
      }),
      { numRuns: 500 },
    );
  });
});

describe('verifyToken', () => {
  it('accepts the current or previous token and says which', () => {
    expect(verifyToken({ presented: 'tok-current', tokens: [current, previous] })).toEqual({ ok: true, generation: 'current' });
    expect(verifyToken({ presented: 'tok-previous', tokens: [current, previous] })).toEqual({ ok: true, generation: 'previous' });
  });

  it('rejects prefixes, extensions, case changes and the expired token', () => {
    for (const presented of ['tok-curren', 'tok-current!', 'TOK-CURRENT', 'tok-previous']) {
      expect(verifyToken({ presented, tokens: [current] })).toEqual({ ok: false, reason: 'bad-credential' });
    }
    expect(verifyToken({ presented: 'tok-old', tokens: [current], expiredToken: 'tok-old' })).toEqual({
      ok: false,
      reason: 'expired-token',
    });
    expect(verifyToken({ presented: undefined, tokens: [current] })).toEqual({ ok: false, reason: 'missing-credential' });
    expect(verifyToken({ presented: 'x', tokens: [] })).toEqual({ ok: false, reason: 'no-token-configured' });
  });
});
