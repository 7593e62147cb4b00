import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as z from 'zod';
import { parseContext } from '../../infra/config';
import { createAmaniClient } from '../../lambda/adapters/amani-client';
import { amaniBaseUrl, amaniBaseUrlProblem, fieldPaths, headerName, list, wholeNumber, withDefault } from '../../lambda/core/validators';
import { loadRegistrationConfig } from '../../lambda/registration/env';
import { loadRotatorConfig } from '../../lambda/rotator/env';

const ROTATOR = { TOKEN_SECRET_ID: 'token', CREDENTIALS_SECRET_ID: 'credentials' };
const REGISTRATION = {
  CREDENTIALS_SECRET_ID: 'credentials',
  ROTATOR_FUNCTION_NAME: 'rotator',
  WEBHOOK_URL: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/v1/webhook',
  STACK_NAME: 'AmaniWebhooks-dev',
  STACK_ID: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-dev/1',
};

/** What each consumer of an Amani base URL makes of it: the normalised URL, or refused. */
function verdicts(url: string) {
  const attempt = (read: () => string) => {
    try {
      return read();
    } catch {
      return 'refused';
    }
  };
  return {
    synth: attempt(() => parseContext({ amaniBaseUrl: url }).amaniBaseUrl),
    rotator: attempt(() => loadRotatorConfig({ ...ROTATOR, AMANI_BASE_URL: url }).amaniBaseUrl),
    registration: attempt(() => loadRegistrationConfig({ ...REGISTRATION, AMANI_BASE_URL: url }).amaniBaseUrl),
  };
}

describe('the Amani base URL: one rule for synth and every function', () => {
  it.each([
    // Accepted by synth, refused by the rotator's client at cold start (a loopback address, but not one the local simulator uses).
    ['http://127.0.0.2:8080', 'refused'],
    // Refused by synth, accepted by the client, which would then call https://eu.amani.ai/api/api/v2/...
    ['https://eu.amani.ai/api', 'refused'],
    ['https://eu.amani.ai', 'https://eu.amani.ai'],
    ['https://EU.Amani.AI:443/', 'https://eu.amani.ai'],
    ['https://tr.amani.ai:8443', 'https://tr.amani.ai:8443'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
    ['http://localhost:4010/', 'http://localhost:4010'],
    ['http://[::1]:4010', 'http://[::1]:4010'],
    ['http://eu.amani.ai', 'refused'],
    ['ftp://eu.amani.ai', 'refused'],
    ['eu.amani.ai', 'refused'],
    ['https://user:pass@eu.amani.ai', 'refused'],
    ['https://eu.amani.ai?region=eu', 'refused'],
    ['https://eu.amani.ai/?', 'refused'],
    ['https://eu.amani.ai#top', 'refused'],
  ])('%s: %s, the same everywhere', (url, expected) => {
    expect(verdicts(url)).toEqual({ synth: expected, rotator: expected, registration: expected });
  });

  it('says what is wrong', () => {
    expect(amaniBaseUrlProblem('http://127.0.0.2:8080')).toBe(
      'must be an https:// base URL such as https://eu.amani.ai (http:// only for 127.0.0.1, [::1] or localhost)',
    );
    expect(amaniBaseUrlProblem('https://eu.amani.ai/api')).toContain(
      'without credentials, path, query or fragment (the client adds /api/v2/...)',
    );
  });

  const rarely = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
  const urls = fc
    .record({
      scheme: fc.constantFrom('https', 'http', 'HTTPS', 'ftp'),
      host: fc.constantFrom(
        'eu.amani.ai',
        'tr.amani.ai',
        '127.0.0.1',
        '127.0.0.2',
        '127.1',
        'localhost',
        'LOCALHOST',
        '[::1]',
        '[::2]',
        '10.0.0.1',
        'amani.ai.',
        'xn--mani-loa.ai',
      ),
      port: fc.option(fc.constantFrom('443', '80', '4010', '65535', '0'), { nil: undefined }),
      userinfo: rarely(fc.constantFrom('user', 'user:pass', ':x')),
      path: fc.constantFrom('', '/', '', '/', '//', '/api', '/api/v2', '/%2e%2e'),
      query: rarely(fc.constantFrom('?', '?a=1')),
      fragment: rarely(fc.constantFrom('#', '#x')),
    })
    .map(
      ({ scheme, host, port, userinfo, path, query, fragment }) =>
        `${scheme}://${userinfo ? `${userinfo}@` : ''}${host}${port ? `:${port}` : ''}${path}${query ?? ''}${fragment ?? ''}`,
    );

  it('property: synth, the rotator and the registration agree on every URL', () => {
    // A blank value is where they differ on purpose: synth's default (eu) against a function told nothing.
    const nonBlank = fc.string().filter((text) => text.trim() !== '');
    fc.assert(
      fc.property(fc.oneof(urls, fc.webUrl({ withQueryParameters: true, withFragments: true }), nonBlank), (url) => {
        const { synth, rotator, registration } = verdicts(url);
        expect([rotator, registration]).toEqual([synth, synth]);
      }),
      { numRuns: 300 },
    );
  });

  it('property: every URL the rule accepts, the Amani client accepts (no configuration that synthesises fails at cold start)', () => {
    fc.assert(
      fc.property(urls, (url) => {
        const parsed = amaniBaseUrl().safeParse(url);
        if (!parsed.success) return;
        expect(() => createAmaniClient({ baseUrl: parsed.data, credentials: { userToken: 'x' } })).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('building blocks', () => {
  it('withDefault: absent or blank is the default, anything else must pass', () => {
    const schema = withDefault(wholeNumber(1, 10), 5);
    expect([schema.parse(undefined), schema.parse(''), schema.parse('  '), schema.parse(null), schema.parse('7'), schema.parse(8)]).toEqual(
      [5, 5, 5, 5, 7, 8],
    );
    expect(schema.safeParse('11').success).toBe(false);
    expect(schema.safeParse('1.5').success).toBe(false);
    expect(schema.safeParse('ten').success).toBe(false);
  });

  it('list: arrays, JSON arrays in a string, comma-separated strings; an empty string is no items', () => {
    const names = list(z.string(), 'names');
    expect(names.parse(['a', 'b'])).toEqual(['a', 'b']);
    expect(names.parse('["a","b"]')).toEqual(['a', 'b']);
    expect(names.parse(' a , b ,')).toEqual(['a', 'b']);
    expect(names.parse('')).toEqual([]);
    expect(names.safeParse('[not json').success).toBe(false);
    expect(names.safeParse(3).success).toBe(false);
  });

  it('field paths and header names', () => {
    expect(fieldPaths({ atLeastOne: true }).safeParse('').success).toBe(false);
    expect(fieldPaths({ atLeastOne: false }).parse('')).toEqual([]);
    expect(fieldPaths({ atLeastOne: false }).safeParse('data..type').success).toBe(false);
    expect(headerName().safeParse('Webhook-Signature').success).toBe(true);
    expect(headerName().safeParse('Webhook Signature').success).toBe(false);
    expect(headerName().safeParse('X-Sig:').success).toBe(false);
  });
});
