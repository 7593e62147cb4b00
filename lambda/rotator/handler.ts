import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { SafeError, safeMessage } from '../core/errors';
import type { RotationRequest, RotationSummary } from '../core/rotation';
import { rotateToken, type RotatorDependencies } from './rotate-token';

/**
 * Invocation payloads. An object with an `action` must be one of these exactly (unknown fields
 * are refused, so a mistyped `revokePrevious` cannot silently turn an emergency rotation into a
 * normal one); anything without an `action` (`{}`, an EventBridge event) is a scheduled `rotate`,
 * like the rotation schedule's own `{"action":"rotate"}`.
 */
const actionPayload = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('rotate'), force: z.boolean().optional(), revokePrevious: z.boolean().optional() }),
  z.strictObject({ action: z.literal('sync') }),
]);

export const SCHEDULED_ROTATION: RotationRequest = { action: 'rotate', force: false, revokePrevious: false };

/** A payload that is no rotator invocation; the message names keys and expectations, never a value sent. */
export class InvalidInvocationError extends SafeError {
  constructor(problems: string) {
    super(
      `Invalid rotator invocation payload: ${problems}. Expected {"action":"rotate"} with optional "force"/"revokePrevious" booleans, {"action":"sync"}, or a payload without "action" (scheduled rotation)`,
      { failure: 'client' },
    );
    this.name = 'InvalidInvocationError';
  }
}

export function parseInvocation(event: unknown): RotationRequest {
  if (event === null || typeof event !== 'object' || Array.isArray(event) || !('action' in event)) return SCHEDULED_ROTATION;
  const parsed = actionPayload.safeParse(event);
  if (!parsed.success) {
    // Paths and zod's messages name keys and expectations, never the values sent.
    throw new InvalidInvocationError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(payload)'}: ${issue.message}`).join('; '),
    );
  }
  if (parsed.data.action === 'sync') return { action: 'sync', force: false, revokePrevious: false };
  const revokePrevious = parsed.data.revokePrevious ?? false;
  // An emergency rotation that a recent rotation could skip would be no emergency rotation.
  return { action: 'rotate', force: (parsed.data.force ?? false) || revokePrevious, revokePrevious };
}

/**
 * Wires the use case into a Lambda handler: context in every log line (never the event), EMF
 * metrics flushed on success and on failure. A failed run throws.
 */
export function createRotatorHandler(deps: Omit<RotatorDependencies, 'remainingTimeMs'>) {
  const { logger, metrics } = deps;
  return middy<unknown, RotationSummary, Error, Context>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler(async (event, context) => {
      let request: RotationRequest;
      try {
        request = parseInvocation(event);
      } catch (error) {
        metrics.addMetric('RotationFailed', MetricUnit.Count, 1);
        logger.error('token rotation run failed', { outcome: 'failed', step: 'parse-invocation', reason: safeMessage(error) });
        throw error;
      }
      return rotateToken(request, { ...deps, remainingTimeMs: () => context.getRemainingTimeInMillis() });
    });
}
