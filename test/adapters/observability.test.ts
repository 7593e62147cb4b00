import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createObservability } from '../../lambda/adapters/observability';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';

let output: CapturedOutput;
let savedLevel: string | undefined;

beforeEach(() => {
  savedLevel = process.env.POWERTOOLS_LOG_LEVEL;
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  if (savedLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = savedLevel;
});

describe('createObservability', () => {
  test('logger and metrics share the service name; metrics go to the configured namespace with it as the service dimension', () => {
    const { logger, metrics } = createObservability({ serviceName: 'amani-webhooks-test', metricsNamespace: 'AmaniWebhooks/dev' });
    logger.info('hello');
    metrics.addMetric('Probe', MetricUnit.Count, 1);
    metrics.publishStoredMetrics();
    expect(output.logs()).toContainEqual(expect.objectContaining({ message: 'hello', service: 'amani-webhooks-test' }));
    const blob = output.records().find((record) => 'Probe' in record)!;
    expect(blob).toMatchObject({ service: 'amani-webhooks-test', Probe: 1 });
    expect((blob._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0]!.Namespace).toBe('AmaniWebhooks/dev');
  });

  test('the configured log level applies; without one, Powertools reads POWERTOOLS_LOG_LEVEL', () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    createObservability({ serviceName: 's', metricsNamespace: 'n', logLevel: 'WARN' }).logger.info('hidden');
    createObservability({ serviceName: 's', metricsNamespace: 'n' }).logger.debug('shown');
    expect(output.logs().map((record) => record.message)).toEqual(['shown']);
  });
});
