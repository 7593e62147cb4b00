import { describe, expect, it, jest } from '@jest/globals';
import { loadReceiverConfig } from '../../lambda/receiver/env';

const minimal = {
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:1:secret:t',
  EVENT_BUS_NAME: 'bus',
  FALLBACK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
};

describe('receiver configuration', () => {
  it('applies the documented defaults', () => {
    expect(loadReceiverConfig(minimal)).toEqual({
      tokenSecretId: minimal.TOKEN_SECRET_ID,
      eventBusName: 'bus',
      fallbackQueueUrl: minimal.FALLBACK_QUEUE_URL,
      authMode: 'signature',
      signatureHeader: 'Webhook-Signature',
      tokenHeader: 'Webhook-Token',
      eventSource: 'amani',
      eventNamePaths: ['event', 'event_type', 'type', 'event_name'],
      deliveryIdPaths: ['delivery_id', 'event_id'],
      maxBodyBytes: 1048576,
      maxEventBytes: 1048576,
      secretCacheTtlMs: 60000,
      secretRefreshMinIntervalMs: 250,
      publishBudgetMs: 3000,
      fallbackBudgetMs: 2000,
    });
  });

  it('parses lists and numbers', () => {
    const config = loadReceiverConfig({ ...minimal, EVENT_NAME_PATHS: 'kind, meta.event ,', MAX_BODY_BYTES: '65536', AUTH_MODE: 'token' });
    expect(config.eventNamePaths).toEqual(['kind', 'meta.event']);
    expect(config.maxBodyBytes).toBe(65536);
    expect(config.authMode).toBe('token');
  });

  it.each([
    [{ TOKEN_SECRET_ID: undefined }, 'TOKEN_SECRET_ID'],
    [{ EVENT_BUS_NAME: '  ' }, 'EVENT_BUS_NAME'],
    [{ FALLBACK_QUEUE_URL: 'not a url' }, 'FALLBACK_QUEUE_URL'],
    [{ AUTH_MODE: 'hmac' }, 'AUTH_MODE'],
    [{ SIGNATURE_HEADER: 'Bad Header' }, 'SIGNATURE_HEADER'],
    [{ MAX_BODY_BYTES: 'lots' }, 'MAX_BODY_BYTES'],
    [{ MAX_EVENT_BYTES: '99999999' }, 'MAX_EVENT_BYTES'],
    [{ PUBLISH_BUDGET_MS: '-1' }, 'PUBLISH_BUDGET_MS'],
  ])('fails with a message naming the variable: %j', (override, variable) => {
    expect(() => loadReceiverConfig({ ...minimal, ...override })).toThrow(new RegExp(`Invalid receiver configuration: .*${variable}`));
  });

  it('the Lambda entry point validates at cold start and exports handler', () => {
    jest.isolateModules(() => {
      const saved = { ...process.env };
      Object.assign(process.env, minimal);
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const entry = require('../../lambda/receiver/index') as { handler: unknown };
        expect(typeof entry.handler).toBe('function');
      } finally {
        process.env = saved;
      }
    });
    jest.isolateModules(() => {
      const saved = { ...process.env };
      delete process.env.TOKEN_SECRET_ID;
      try {
        expect(() => require('../../lambda/receiver/index')).toThrow(/TOKEN_SECRET_ID/);
      } finally {
        process.env = saved;
      }
    });
  });
});
