import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../lambda/core/env-config';
import { loadRotatorConfig } from '../../lambda/rotator/env';
import { InvalidInvocationError, parseInvocation } from '../../lambda/rotator/handler';

const REQUIRED = {
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token',
  CREDENTIALS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:credentials',
  AMANI_BASE_URL: 'https://eu.amani.ai',
};

describe('rotator configuration', () => {
  it('applies the documented defaults', () => {
    expect(loadRotatorConfig(REQUIRED)).toEqual({
      tokenSecretId: REQUIRED.TOKEN_SECRET_ID,
      credentialsSecretId: REQUIRED.CREDENTIALS_SECRET_ID,
      amaniBaseUrl: 'https://eu.amani.ai',
      previousTokenGraceMs: 60 * 60_000,
      minRotationAgeMs: 60 * 60_000,
      amaniTimeoutMs: 5000,
      storeRetryBudgetMs: 20_000,
    });
  });

  it('reads every variable', () => {
    const config = loadRotatorConfig({
      ...REQUIRED,
      AMANI_BASE_URL: 'http://127.0.0.1:4010',
      PREVIOUS_TOKEN_GRACE_MINUTES: '0',
      MIN_ROTATION_AGE_MINUTES: '1440',
      AMANI_TIMEOUT_MS: '2500',
      STORE_RETRY_BUDGET_MS: '30000',
    });
    expect(config).toMatchObject({ amaniBaseUrl: 'http://127.0.0.1:4010', previousTokenGraceMs: 0, minRotationAgeMs: 86_400_000, amaniTimeoutMs: 2500, storeRetryBudgetMs: 30_000 });
  });

  it('names every offending variable, never its value', () => {
    const attempt = () =>
      loadRotatorConfig({ TOKEN_SECRET_ID: ' ', AMANI_BASE_URL: 'http://eu.amani.ai/secret-path-sentinel', PREVIOUS_TOKEN_GRACE_MINUTES: '-5', AMANI_TIMEOUT_MS: 'soon' });
    expect(attempt).toThrow(ConfigurationError);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of ['TOKEN_SECRET_ID', 'CREDENTIALS_SECRET_ID', 'AMANI_BASE_URL', 'PREVIOUS_TOKEN_GRACE_MINUTES', 'AMANI_TIMEOUT_MS']) expect(message).toContain(name);
    expect(message).toMatch(/must use https/);
    expect(message).not.toContain('secret-path-sentinel');
  });
});

describe('invocation payloads', () => {
  const scheduled = { action: 'rotate', force: false, revokePrevious: false };
  it.each([
    ['an EventBridge Scheduler payload', { 'detail-type': 'Scheduled Event', source: 'aws.scheduler' }, scheduled],
    ['an empty object', {}, scheduled],
    ['null', null, scheduled],
    ['undefined', undefined, scheduled],
    ['a string', 'rotate', scheduled],
    ['an array', [{ action: 'sync' }], scheduled],
    ['rotate', { action: 'rotate' }, scheduled],
    ['rotate + force', { action: 'rotate', force: true }, { action: 'rotate', force: true, revokePrevious: false }],
    ['rotate + revokePrevious (implies force)', { action: 'rotate', revokePrevious: true }, { action: 'rotate', force: true, revokePrevious: true }],
    ['rotate + revokePrevious + force false', { action: 'rotate', revokePrevious: true, force: false }, { action: 'rotate', force: true, revokePrevious: true }],
    ['sync', { action: 'sync' }, { action: 'sync', force: false, revokePrevious: false }],
  ])('%s', (_, payload, expected) => {
    expect(parseInvocation(payload)).toEqual(expected);
  });

  it.each([
    [{ action: 'Rotate' }],
    [{ action: null }],
    [{ action: 'rotate', force: 1 }],
    [{ action: 'rotate', revoke: true }],
    [{ action: 'sync', force: true }],
  ])('refuses %j', (payload) => {
    expect(() => parseInvocation(payload)).toThrow(InvalidInvocationError);
  });
});
