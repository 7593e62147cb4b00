import { z } from 'zod';
import { amaniBaseUrlProblem } from '../core/validators';
import { env, parseEnvironment } from '../core/env-config';
import { AMANI_EVENTS, type AmaniEventName } from '../core/amani-events';

/**
 * The registration function's configuration: environment variables set by the CDK stack
 * (infra/constructs/amani-registration.ts), validated once at cold start.
 */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
    .default(fallback ? 'true' : 'false')
    .transform((value) => value === 'true');

const registrationEnvironment = z.object({
  AMANI_BASE_URL: env.required('Amani region base URL, e.g. https://eu.amani.ai').superRefine((value, context) => {
    const problem = amaniBaseUrlProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  }),
  CREDENTIALS_SECRET_ID: env.required('ARN or name of the Amani API credentials secret'),
  ROTATOR_FUNCTION_NAME: env.required('name or ARN of the rotator function'),
  WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be the webhook URL Amani posts to' }),
  SIGNATURE_ENABLED: flag(true),
  ENABLED_EVENTS: env.list([...AMANI_EVENTS]).pipe(
    z.array(z.enum(AMANI_EVENTS, { error: `must list Amani events only: ${AMANI_EVENTS.join(', ')}` })),
  ),
  DISABLE_EVENTS_ON_DELETE: flag(true),
  AMANI_TIMEOUT_MS: env.integer(5000, 100, 60_000),
  // The owner named in the Amani account claim (CloudFormation's AWS::StackName / AWS::StackId).
  STACK_NAME: env.required('name of the stack this function belongs to'),
  STACK_ID: env.required('CloudFormation StackId of that stack'),
});

export interface RegistrationConfig {
  readonly amaniBaseUrl: string;
  readonly credentialsSecretId: string;
  readonly rotatorFunctionName: string;
  readonly webhookUrl: string;
  readonly signatureEnabled: boolean;
  readonly enabledEvents: readonly AmaniEventName[];
  readonly disableEventsOnDelete: boolean;
  readonly amaniTimeoutMs: number;
  readonly stack: { readonly stackName: string; readonly stackId: string };
}

export function loadRegistrationConfig(source: Record<string, string | undefined> = process.env): RegistrationConfig {
  const e = parseEnvironment('registration', registrationEnvironment, source);
  return {
    amaniBaseUrl: e.AMANI_BASE_URL,
    credentialsSecretId: e.CREDENTIALS_SECRET_ID,
    rotatorFunctionName: e.ROTATOR_FUNCTION_NAME,
    webhookUrl: e.WEBHOOK_URL,
    signatureEnabled: e.SIGNATURE_ENABLED,
    enabledEvents: e.ENABLED_EVENTS,
    disableEventsOnDelete: e.DISABLE_EVENTS_ON_DELETE,
    amaniTimeoutMs: e.AMANI_TIMEOUT_MS,
    stack: { stackName: e.STACK_NAME, stackId: e.STACK_ID },
  };
}
