import { describe, expect, it } from '@jest/globals';
import { acceptedTokens, expiredPreviousToken, parseTokenSecret, TokenSecretFormatError } from '../../lambda/core/token-secret';

describe('parseTokenSecret', () => {
  it('reads the contract shape and treats an empty or token-less secret as not bootstrapped', () => {
    expect(
      parseTokenSecret(
        '{"token":"a","previousToken":"b","previousTokenValidUntil":"2026-01-01T00:00:00Z","rotatedAt":"2025-12-31T23:00:00.000Z"}',
      ),
    ).toEqual({
      token: 'a',
      previousToken: 'b',
      previousTokenValidUntil: '2026-01-01T00:00:00Z',
      rotatedAt: '2025-12-31T23:00:00.000Z',
    });
    expect(parseTokenSecret(undefined)).toEqual({});
    expect(parseTokenSecret('  ')).toEqual({});
    expect(parseTokenSecret('{"placeholder":"generated-by-cloudformation"}')).toEqual({});
  });

  it('rejects malformed secrets without echoing their content', () => {
    for (const bad of ['not json', '{"token": 5}', '{"token":"s3cr3t","previousTokenValidUntil":"tomorrow"}', '[]']) {
      let error: unknown;
      try {
        parseTokenSecret(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(TokenSecretFormatError);
      expect(String((error as Error).message)).not.toContain('s3cr3t');
    }
  });
});

describe('acceptedTokens', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  it('includes the previous token strictly before the end of its grace', () => {
    const secret = { token: 'new', previousToken: 'old', previousTokenValidUntil: '2026-06-01T12:00:00.001Z' };
    expect(acceptedTokens(secret, now).map((t) => t.generation)).toEqual(['current', 'previous']);
    expect(acceptedTokens({ ...secret, previousTokenValidUntil: '2026-06-01T12:00:00.000Z' }, now).map((t) => t.generation)).toEqual([
      'current',
    ]);
    expect(expiredPreviousToken({ ...secret, previousTokenValidUntil: '2026-06-01T12:00:00.000Z' }, now)).toBe('old');
    expect(expiredPreviousToken(secret, now)).toBeUndefined();
  });

  it('never accepts a previous token without an end of grace, and nothing when not bootstrapped', () => {
    expect(acceptedTokens({ token: 'new', previousToken: 'old' }, now).map((t) => t.value)).toEqual(['new']);
    expect(acceptedTokens({}, now)).toEqual([]);
  });
});
