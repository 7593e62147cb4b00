/**
 * The rotator's environment: the one declaration of its variables, their defaults and rules.
 * The stack builds the function's environment with `toRotatorEnvironment` (so does the local
 * mode), the function parses it with `loadRotatorConfig` at cold start.
 */
import * as z from 'zod';
import { parseEnvironment } from '../core/env-config';
import {
  amaniBaseUrl,
  definedOnly,
  type EnvironmentSettings,
  observabilityEnvironment,
  observabilityVariables,
  optional,
  required,
  toObservabilityConfig,
  wholeNumber,
  wholeUnits,
  withDefault,
} from '../core/validators';

/** Longest previous-token grace: a week (longer would defeat rotating). The stack's context allows the same. */
export const MAX_PREVIOUS_TOKEN_GRACE_MINUTES = 7 * 24 * 60;

/** Defaults of the optional variables. */
export const ROTATOR_DEFAULTS = {
  previousTokenGraceMinutes: 60,
  // Duplicate scheduler invocations within this age do not rotate twice.
  minRotationAgeMinutes: 60,
  amaniTimeoutMs: 5000,
  storeRetryBudgetMs: 20_000,
  serviceName: 'amani-webhooks-rotator',
} as const;

const D = ROTATOR_DEFAULTS;

/** The variables, by name. */
export const rotatorVariables = z
  .object({
    TOKEN_SECRET_ID: required('ARN or name of the webhook token secret'),
    CREDENTIALS_SECRET_ID: required('ARN or name of the Amani API credentials secret'),
    AMANI_BASE_URL: amaniBaseUrl(),
    PREVIOUS_TOKEN_GRACE_MINUTES: withDefault(wholeNumber(0, MAX_PREVIOUS_TOKEN_GRACE_MINUTES), D.previousTokenGraceMinutes),
    // Finer-grained, for the local mode and demos (watch a grace window end in seconds); wins when set.
    PREVIOUS_TOKEN_GRACE_SECONDS: optional(wholeNumber(0, MAX_PREVIOUS_TOKEN_GRACE_MINUTES * 60)),
    MIN_ROTATION_AGE_MINUTES: withDefault(wholeNumber(0, 365 * 24 * 60), D.minRotationAgeMinutes),
    AMANI_TIMEOUT_MS: withDefault(wholeNumber(100, 60_000), D.amaniTimeoutMs),
    STORE_RETRY_BUDGET_MS: withDefault(wholeNumber(100, 300_000), D.storeRetryBudgetMs),
    // Set by the stack: a rotation is refused while another stack holds the Amani account's claim.
    // Absent (local mode, tests): no claim is checked.
    STACK_NAME: optional(required('name of the stack this function belongs to')),
    STACK_ID: optional(required('CloudFormation StackId of that stack')),
    ...observabilityVariables(D.serviceName),
  })
  .refine((e) => (e.STACK_NAME === undefined) === (e.STACK_ID === undefined), {
    path: ['STACK_ID'],
    message: 'STACK_NAME and STACK_ID are set together or not at all',
  });

/** The environment schema: parses the variables and yields the rotator's configuration. */
export const rotatorEnvironment = rotatorVariables.transform((e) => ({
  tokenSecretId: e.TOKEN_SECRET_ID,
  credentialsSecretId: e.CREDENTIALS_SECRET_ID,
  amaniBaseUrl: e.AMANI_BASE_URL,
  previousTokenGraceMs:
    e.PREVIOUS_TOKEN_GRACE_SECONDS !== undefined ? e.PREVIOUS_TOKEN_GRACE_SECONDS * 1000 : e.PREVIOUS_TOKEN_GRACE_MINUTES * 60_000,
  minRotationAgeMs: e.MIN_ROTATION_AGE_MINUTES * 60_000,
  amaniTimeoutMs: e.AMANI_TIMEOUT_MS,
  storeRetryBudgetMs: e.STORE_RETRY_BUDGET_MS,
  /** The stack this rotator belongs to; set, rotations check the Amani account claim. */
  ...(e.STACK_NAME && e.STACK_ID ? { stack: { stackName: e.STACK_NAME, stackId: e.STACK_ID } } : {}),
  observability: toObservabilityConfig(e),
}));

/** The rotator's configuration, as its loader yields it. */
export type RotatorConfig = z.output<typeof rotatorEnvironment>;

/** What the stack (or the local mode) decides; everything left out takes its default. */
export type RotatorSettings = EnvironmentSettings<RotatorConfig, 'tokenSecretId' | 'credentialsSecretId' | 'amaniBaseUrl'>;

/**
 * The environment map that `loadRotatorConfig` reads back as `settings` (plus defaults). A grace
 * of whole minutes is written in minutes, any other in seconds.
 */
export function toRotatorEnvironment(settings: RotatorSettings): Record<string, string> {
  const grace = settings.previousTokenGraceMs;
  const graceInMinutes = grace !== undefined && grace % 60_000 === 0;
  return definedOnly({
    TOKEN_SECRET_ID: settings.tokenSecretId,
    CREDENTIALS_SECRET_ID: settings.credentialsSecretId,
    AMANI_BASE_URL: settings.amaniBaseUrl,
    PREVIOUS_TOKEN_GRACE_MINUTES: grace !== undefined && graceInMinutes ? grace / 60_000 : undefined,
    PREVIOUS_TOKEN_GRACE_SECONDS: grace !== undefined && !graceInMinutes ? wholeUnits(grace, 1000, 'previousTokenGraceMs') : undefined,
    MIN_ROTATION_AGE_MINUTES:
      settings.minRotationAgeMs === undefined ? undefined : wholeUnits(settings.minRotationAgeMs, 60_000, 'minRotationAgeMs'),
    AMANI_TIMEOUT_MS: settings.amaniTimeoutMs,
    STORE_RETRY_BUDGET_MS: settings.storeRetryBudgetMs,
    STACK_NAME: settings.stack?.stackName,
    STACK_ID: settings.stack?.stackId,
    ...observabilityEnvironment(settings.observability),
  });
}

/** Validates the rotator's environment (the process's by default); a bad one names every offending variable. */
export function loadRotatorConfig(source: Record<string, string | undefined> = process.env): RotatorConfig {
  return parseEnvironment('rotator', rotatorEnvironment, source);
}
