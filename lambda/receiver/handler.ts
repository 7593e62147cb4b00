import middy from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { safeMessage } from '../core/errors';
import { type ApiGatewayEvent, toProxyResult, toWebhookRequest } from './api-gateway';
import { receiveDelivery, type ReceiverDependencies } from './receive-delivery';

/**
 * Wires the use case into a Lambda handler, behind a REST API (payload format 1.0) or an HTTP API
 * (2.0); the answer's shape suits both. The middlewares only add context to logs and flush
 * metrics; none of them reads or parses the body, which must reach verification untouched.
 */
export function createReceiverHandler(deps: Omit<ReceiverDependencies, 'remainingTimeMs'>) {
  const { logger, metrics } = deps;
  return middy<ApiGatewayEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      try {
        const request = toWebhookRequest(event, deps.config.maxBodyBytes);
        return toProxyResult(await receiveDelivery(request, { ...deps, remainingTimeMs: () => context.getRemainingTimeInMillis() }));
      } catch (error) {
        return internalError(error, logger, metrics);
      }
    });
}

/** A bug must still answer 5xx (Amani retries) and must not echo anything from the request. */
function internalError(error: unknown, logger: Logger, metrics: Metrics): APIGatewayProxyResult {
  metrics.addMetric('DeliveryFailed', MetricUnit.Count, 1);
  logger.error('unexpected receiver error', { outcome: 'failed', status: 500, error: safeMessage(error) });
  return toProxyResult({ statusCode: 500, body: { message: 'Internal error, please retry' } });
}
