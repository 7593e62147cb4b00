import { z } from 'zod';
import { amaniBaseUrlProblem } from '../core/validators';
import { env, parseEnvironment } from '../core/env-config';

/**
 * The rotator's configuration: environment variables set by the CDK stack (these names are
 * fixed, the stack sets exactly these), validated once at cold start.
 */
const rotatorEnvironment = z.object({
  TOKEN_SECRET_ID: env.required('ARN or name of the webhook token secret'),
  CREDENTIALS_SECRET_ID: env.required('ARN or name of the Amani API credentials secret'),
  AMANI_BASE_URL: env.required('Amani region base URL, e.g. https://eu.amani.ai').superRefine((value, context) => {
    const problem = amaniBaseUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  // Up to 30 days: longer than any sensible rotation period would defeat rotating.
  PREVIOUS_TOKEN_GRACE_MINUTES: env.integer(60, 0, 30 * 24 * 60),
  // Finer-grained override for the local mode and demos (watch a grace window end in seconds).
  PREVIOUS_TOKEN_GRACE_SECONDS: env.integer(0, 0, 30 * 24 * 60 * 60).optional(),
  // Duplicate scheduler invocations within this age do not rotate twice.
  MIN_ROTATION_AGE_MINUTES: env.integer(60, 0, 365 * 24 * 60),
  AMANI_TIMEOUT_MS: env.integer(5000, 100, 60_000),
  STORE_RETRY_BUDGET_MS: env.integer(20_000, 100, 300_000),
  // Set by the stack: a rotation is refused while another stack holds the Amani account's claim.
  // Absent (local mode, tests): no claim is checked.
  STACK_NAME: z.string().trim().min(1).optional(),
  STACK_ID: z.string().trim().min(1).optional(),
}).refine((e) => (e.STACK_NAME === undefined) === (e.STACK_ID === undefined), {
  path: ['STACK_ID'],
  message: 'STACK_NAME and STACK_ID are set together or not at all',
});

export interface RotatorConfig {
  readonly tokenSecretId: string;
  readonly credentialsSecretId: string;
  readonly amaniBaseUrl: string;
  readonly previousTokenGraceMs: number;
  readonly minRotationAgeMs: number;
  readonly amaniTimeoutMs: number;
  readonly storeRetryBudgetMs: number;
  /** The stack this rotator belongs to; set, rotations check the Amani account claim. */
  readonly stack?: { readonly stackName: string; readonly stackId: string };
}

export function loadRotatorConfig(source: Record<string, string | undefined> = process.env): RotatorConfig {
  const e = parseEnvironment('rotator', rotatorEnvironment, source);
  return {
    tokenSecretId: e.TOKEN_SECRET_ID,
    credentialsSecretId: e.CREDENTIALS_SECRET_ID,
    amaniBaseUrl: e.AMANI_BASE_URL,
    previousTokenGraceMs:
      source.PREVIOUS_TOKEN_GRACE_SECONDS !== undefined && e.PREVIOUS_TOKEN_GRACE_SECONDS !== undefined
        ? e.PREVIOUS_TOKEN_GRACE_SECONDS * 1000
        : e.PREVIOUS_TOKEN_GRACE_MINUTES * 60_000,
    minRotationAgeMs: e.MIN_ROTATION_AGE_MINUTES * 60_000,
    amaniTimeoutMs: e.AMANI_TIMEOUT_MS,
    storeRetryBudgetMs: e.STORE_RETRY_BUDGET_MS,
    ...(e.STACK_NAME && e.STACK_ID ? { stack: { stackName: e.STACK_NAME, stackId: e.STACK_ID } } : {}),
  };
}
