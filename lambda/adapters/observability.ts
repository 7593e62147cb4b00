import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { ObservabilityConfig } from '../core/validators';

/** A function's logger and metrics: built once per container, handed to its handler. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The one place the functions' Powertools logger and metrics are built, from what their
 * environment declaration yields: same service name on both (the metrics' `service` dimension the
 * alarms and dashboard select on), the stack's namespace, and the stack's log level when it sets
 * one (Powertools' own environment handling, e.g. POWERTOOLS_METRICS_DISABLED, still applies).
 */
export function createObservability(config: ObservabilityConfig): Observability {
  return {
    logger: new Logger({ serviceName: config.serviceName, ...(config.logLevel ? { logLevel: config.logLevel } : {}) }),
    metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
  };
}
