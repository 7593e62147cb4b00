import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../lambda/core/env-config';
import { loadRotatorConfig, toRotatorEnvironment, type RotatorConfig } from '../../lambda/rotator/env';

const REQUIRED = {
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token',
  CREDENTIALS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:credentials',
  AMANI_BASE_URL: 'https://eu.amani.ai',
};

describe('rotator environment', () => {
  it('applies the documented defaults', () => {
    expect(loadRotatorConfig(REQUIRED)).toEqual({
      tokenSecretId: REQUIRED.TOKEN_SECRET_ID,
      credentialsSecretId: REQUIRED.CREDENTIALS_SECRET_ID,
      amaniBaseUrl: 'https://eu.amani.ai',
      previousTokenGraceMs: 60 * 60_000,
      minRotationAgeMs: 60 * 60_000,
      amaniTimeoutMs: 5000,
      storeRetryBudgetMs: 20_000,
      observability: { serviceName: 'amani-webhooks-rotator', metricsNamespace: 'AmaniWebhooks' },
    });
  });

  it('reads every variable; the Amani base URL is normalised to its origin; seconds of grace win over minutes', () => {
    const config = loadRotatorConfig({
      ...REQUIRED,
      AMANI_BASE_URL: 'http://127.0.0.1:4010/',
      PREVIOUS_TOKEN_GRACE_MINUTES: '0',
      MIN_ROTATION_AGE_MINUTES: '1440',
      AMANI_TIMEOUT_MS: '2500',
      STORE_RETRY_BUDGET_MS: '30000',
    });
    expect(config).toMatchObject({
      amaniBaseUrl: 'http://127.0.0.1:4010',
      previousTokenGraceMs: 0,
      minRotationAgeMs: 86_400_000,
      amaniTimeoutMs: 2500,
      storeRetryBudgetMs: 30_000,
    });
    expect(
      loadRotatorConfig({ ...REQUIRED, PREVIOUS_TOKEN_GRACE_MINUTES: '5', PREVIOUS_TOKEN_GRACE_SECONDS: '6' }).previousTokenGraceMs,
    ).toBe(6000);
  });

  it("toRotatorEnvironment is the loader's inverse: every setting survives the trip through the environment", () => {
    const base: RotatorConfig = {
      tokenSecretId: 'token',
      credentialsSecretId: 'credentials',
      amaniBaseUrl: 'https://tr.amani.ai',
      previousTokenGraceMs: 15 * 60_000,
      minRotationAgeMs: 10 * 60_000,
      amaniTimeoutMs: 1000,
      storeRetryBudgetMs: 2000,
      stack: { stackName: 'AmaniWebhooks-dev', stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-dev/1' },
      observability: { serviceName: 'rotator-x', metricsNamespace: 'AmaniWebhooks/dev', logLevel: 'DEBUG' },
    };
    expect(loadRotatorConfig(toRotatorEnvironment(base))).toEqual(base);
    // A grace that is not whole minutes travels in seconds (the local mode's short windows).
    const short = { ...base, previousTokenGraceMs: 6000 };
    expect(toRotatorEnvironment(short)).toMatchObject({ PREVIOUS_TOKEN_GRACE_SECONDS: '6' });
    expect(loadRotatorConfig(toRotatorEnvironment(short))).toEqual(short);
    const { stack: _stack, ...withoutStack } = base;
    expect(loadRotatorConfig(toRotatorEnvironment(withoutStack))).toEqual(withoutStack);
    expect(() => toRotatorEnvironment({ ...base, previousTokenGraceMs: 1500 })).toThrow(
      'previousTokenGraceMs must be a whole number of seconds',
    );
  });

  it('names every offending variable, never its value', () => {
    const attempt = () =>
      loadRotatorConfig({
        TOKEN_SECRET_ID: ' ',
        AMANI_BASE_URL: 'http://eu.amani.ai/secret-path-sentinel',
        PREVIOUS_TOKEN_GRACE_MINUTES: '-5',
        AMANI_TIMEOUT_MS: 'soon',
      });
    expect(attempt).toThrow(ConfigurationError);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    for (const name of ['TOKEN_SECRET_ID', 'CREDENTIALS_SECRET_ID', 'AMANI_BASE_URL', 'PREVIOUS_TOKEN_GRACE_MINUTES', 'AMANI_TIMEOUT_MS'])
      expect(message).toContain(name);
    expect(message).toContain('AMANI_BASE_URL: must be an https:// base URL');
    expect(message).not.toContain('secret-path-sentinel');
  });

  it('STACK_NAME and STACK_ID come together or not at all', () => {
    expect(() => loadRotatorConfig({ ...REQUIRED, STACK_NAME: 'only-the-name' })).toThrow(
      'STACK_ID: STACK_NAME and STACK_ID are set together or not at all',
    );
  });
});
