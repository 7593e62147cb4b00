import { describe, expect, test } from '@jest/globals';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { loadRegistrationConfig, toRegistrationEnvironment, type RegistrationConfig } from '../../lambda/registration/env';

const STACK = { stackName: 'AmaniWebhooks-dev', stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-dev/1' };
const base = {
  AMANI_BASE_URL: 'https://eu.amani.ai',
  CREDENTIALS_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:amani-credentials-AbCdEf',
  ROTATOR_FUNCTION_NAME: 'AmaniWebhooks-dev-RotationRotatorFunction-abc',
  WEBHOOK_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1/webhook',
  STACK_NAME: STACK.stackName,
  STACK_ID: STACK.stackId,
};

describe('registration environment (set by the stack)', () => {
  test('defaults: signature on, every event, disable on delete', () => {
    expect(loadRegistrationConfig(base)).toEqual({
      amaniBaseUrl: 'https://eu.amani.ai',
      credentialsSecretId: base.CREDENTIALS_SECRET_ID,
      rotatorFunctionName: base.ROTATOR_FUNCTION_NAME,
      webhookUrl: base.WEBHOOK_URL,
      signatureEnabled: true,
      enabledEvents: [...AMANI_EVENTS],
      disableEventsOnDelete: true,
      amaniTimeoutMs: 5000,
      stack: STACK,
      observability: { serviceName: 'amani-webhooks-registration', metricsNamespace: 'AmaniWebhooks' },
    });
    expect(
      loadRegistrationConfig({ ...base, SIGNATURE_ENABLED: 'false', ENABLED_EVENTS: 'zip_file_create', DISABLE_EVENTS_ON_DELETE: 'false' }),
    ).toMatchObject({
      signatureEnabled: false,
      enabledEvents: ['zip_file_create'],
      disableEventsOnDelete: false,
    });
  });

  test("toRegistrationEnvironment is the loader's inverse: every setting survives the trip through the environment", () => {
    const config: RegistrationConfig = {
      amaniBaseUrl: 'http://127.0.0.1:4010',
      credentialsSecretId: 'credentials',
      rotatorFunctionName: 'rotator',
      webhookUrl: 'http://127.0.0.1:3000/webhook',
      signatureEnabled: false,
      enabledEvents: ['profile_status_change', 'document_status_change'],
      disableEventsOnDelete: false,
      amaniTimeoutMs: 1000,
      stack: STACK,
      observability: { serviceName: 'registration-x', metricsNamespace: 'AmaniWebhooks/dev', logLevel: 'ERROR' },
    };
    expect(loadRegistrationConfig(toRegistrationEnvironment(config))).toEqual(config);
  });

  test.each([
    [{ AMANI_BASE_URL: 'http://eu.amani.ai' }, 'AMANI_BASE_URL: must be an https:// base URL'],
    [
      { AMANI_BASE_URL: 'https://eu.amani.ai/api' },
      'AMANI_BASE_URL: must be an https:// base URL such as https://eu.amani.ai (http:// only for 127.0.0.1, [::1] or localhost), without',
    ],
    [{ ENABLED_EVENTS: 'profile_create,nope' }, 'ENABLED_EVENTS.1: must name Amani events only'],
    [{ ENABLED_EVENTS: ',' }, 'ENABLED_EVENTS: must enable at least one event'],
    [{ SIGNATURE_ENABLED: 'yes' }, 'SIGNATURE_ENABLED: must be true or false'],
    [{ WEBHOOK_URL: 'not a url' }, 'WEBHOOK_URL: must be the webhook URL'],
    [{ WEBHOOK_URL: 'ftp://example.com/webhook' }, 'WEBHOOK_URL: must be the webhook URL'],
    [{ ROTATOR_FUNCTION_NAME: undefined }, 'ROTATOR_FUNCTION_NAME: is required'],
    [{ STACK_ID: undefined }, 'STACK_ID: is required'],
    [{ AMANI_TIMEOUT_MS: '50' }, 'AMANI_TIMEOUT_MS: must be a whole number from 100 to 60000'],
  ])('%j is refused, naming the variable', (change, expected) => {
    expect(() => loadRegistrationConfig({ ...base, ...change })).toThrow(expected);
  });
});
