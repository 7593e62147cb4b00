import { describe, expect, it, jest } from '@jest/globals';
import { loadReceiverConfig, RECEIVER_DEFAULTS, toReceiverEnvironment, type ReceiverConfig } from '../../lambda/receiver/env';

const minimal = {
  TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:1:secret:t',
  EVENT_BUS_NAME: 'bus',
  FALLBACK_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
};

describe('receiver environment', () => {
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
      dedupWindowHours: 168,
      dedupBudgetMs: 1000,
      observability: { serviceName: 'amani-webhooks-receiver', metricsNamespace: 'AmaniWebhooks' },
    });
    // No table: no deduplication.
    expect(loadReceiverConfig(minimal).dedupTableName).toBeUndefined();
  });

  it('parses lists and numbers; a blank value is the default, an empty list of delivery id paths is none', () => {
    const config = loadReceiverConfig({
      ...minimal,
      EVENT_NAME_PATHS: 'kind, meta.event ,',
      MAX_BODY_BYTES: '65536',
      AUTH_MODE: 'token',
      TOKEN_HEADER: ' ',
      DELIVERY_ID_PATHS: '',
    });
    expect(config.eventNamePaths).toEqual(['kind', 'meta.event']);
    expect(config.maxBodyBytes).toBe(65536);
    expect(config.authMode).toBe('token');
    expect(config.tokenHeader).toBe(RECEIVER_DEFAULTS.tokenHeader);
    expect(config.deliveryIdPaths).toEqual([]);
  });

  it("toReceiverEnvironment is the loader's inverse: every setting survives the trip through the environment", () => {
    const config: ReceiverConfig = {
      tokenSecretId: 'token-secret',
      eventBusName: 'arn:aws:events:eu-west-1:123456789012:event-bus/amani',
      fallbackQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fallback',
      authMode: 'token',
      signatureHeader: 'X-Signature',
      tokenHeader: 'X-Token',
      eventSource: 'kyc.amani',
      eventNamePaths: ['kind', 'data.kind'],
      deliveryIdPaths: [],
      maxBodyBytes: 2048,
      maxEventBytes: 4096,
      secretCacheTtlMs: 0,
      secretRefreshMinIntervalMs: 75,
      publishBudgetMs: 150,
      fallbackBudgetMs: 120,
      dedupTableName: 'amani-webhooks-x-deliveries',
      dedupWindowHours: 2,
      dedupBudgetMs: 300,
      observability: { serviceName: 'receiver-x', metricsNamespace: 'Kyc/Webhooks', logLevel: 'WARN' },
    };
    expect(loadReceiverConfig(toReceiverEnvironment(config))).toEqual(config);
    // Left out: the default, not an empty value.
    expect(
      loadReceiverConfig(toReceiverEnvironment({ tokenSecretId: 't', eventBusName: 'b', fallbackQueueUrl: minimal.FALLBACK_QUEUE_URL })),
    ).toEqual(loadReceiverConfig({ ...minimal, TOKEN_SECRET_ID: 't', EVENT_BUS_NAME: 'b' }));
    expect(() => toReceiverEnvironment({ ...config, secretCacheTtlMs: 1500 })).toThrow(
      'secretCacheTtlMs must be a whole number of seconds',
    );
  });

  it.each([
    [{ TOKEN_SECRET_ID: undefined }, 'TOKEN_SECRET_ID'],
    [{ EVENT_BUS_NAME: '  ' }, 'EVENT_BUS_NAME'],
    [{ FALLBACK_QUEUE_URL: 'not a url' }, 'FALLBACK_QUEUE_URL'],
    [{ AUTH_MODE: 'hmac' }, 'AUTH_MODE'],
    [{ SIGNATURE_HEADER: 'Bad Header' }, 'SIGNATURE_HEADER'],
    [{ EVENT_SOURCE: 'aws.amani' }, 'EVENT_SOURCE'],
    [{ EVENT_NAME_PATHS: 'event,data..type' }, 'EVENT_NAME_PATHS'],
    [{ MAX_BODY_BYTES: 'lots' }, 'MAX_BODY_BYTES'],
    [{ MAX_EVENT_BYTES: '99999999' }, 'MAX_EVENT_BYTES'],
    [{ PUBLISH_BUDGET_MS: '-1' }, 'PUBLISH_BUDGET_MS'],
    [{ DEDUP_TABLE_NAME: 'a b' }, 'DEDUP_TABLE_NAME'],
    [{ DEDUP_WINDOW_HOURS: '0' }, 'DEDUP_WINDOW_HOURS'],
    [{ DEDUP_WINDOW_HOURS: '8761' }, 'DEDUP_WINDOW_HOURS'],
    [{ DEDUP_BUDGET_MS: '50' }, 'DEDUP_BUDGET_MS'],
    [{ POWERTOOLS_LOG_LEVEL: 'LOUD' }, 'POWERTOOLS_LOG_LEVEL'],
    [{ POWERTOOLS_METRICS_NAMESPACE: 'AWS/Lambda' }, 'POWERTOOLS_METRICS_NAMESPACE'],
  ])('fails with a message naming the variable: %j', (override, variable) => {
    expect(() => loadReceiverConfig({ ...minimal, ...override })).toThrow(new RegExp(`Invalid receiver configuration: .*${variable}`));
  });

  it('the Lambda entry point validates at cold start and exports handler', () => {
    jest.isolateModules(() => {
      const saved = { ...process.env };
      Object.assign(process.env, minimal);
      try {
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
