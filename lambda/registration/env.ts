/**
 * The registration function's environment: the one declaration of its variables, their defaults
 * and rules. The stack (infra/constructs/amani-registration.ts) builds the function's environment
 * with `toRegistrationEnvironment`, the function parses it with `loadRegistrationConfig` at cold
 * start. An operator's direct invocation therefore uses exactly what was deployed.
 */
import * as z from 'zod';
import { AMANI_EVENTS, type AmaniEventName } from '../core/amani-events';
import { parseEnvironment } from '../core/env-config';
import {
  amaniBaseUrl,
  amaniEventNames,
  booleanFlag,
  definedOnly,
  type EnvironmentSettings,
  listToEnvironment,
  observabilityEnvironment,
  observabilityVariables,
  required,
  toObservabilityConfig,
  wholeNumber,
  withDefault,
} from '../core/validators';

/** Defaults of the optional variables. */
export const REGISTRATION_DEFAULTS = {
  signatureEnabled: true,
  enabledEvents: AMANI_EVENTS,
  disableEventsOnDelete: true,
  amaniTimeoutMs: 5000,
  serviceName: 'amani-webhooks-registration',
} as const;

const D = REGISTRATION_DEFAULTS;

/** The variables, by name. */
export const registrationVariables = z.object({
  AMANI_BASE_URL: amaniBaseUrl(),
  CREDENTIALS_SECRET_ID: required('ARN or name of the Amani API credentials secret'),
  ROTATOR_FUNCTION_NAME: required('name or ARN of the rotator function'),
  WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be the webhook URL Amani posts to' }),
  SIGNATURE_ENABLED: withDefault(booleanFlag(), D.signatureEnabled),
  ENABLED_EVENTS: withDefault(amaniEventNames(), [...D.enabledEvents]),
  DISABLE_EVENTS_ON_DELETE: withDefault(booleanFlag(), D.disableEventsOnDelete),
  AMANI_TIMEOUT_MS: withDefault(wholeNumber(100, 60_000), D.amaniTimeoutMs),
  // The owner named in the Amani account claim (CloudFormation's AWS::StackName / AWS::StackId).
  STACK_NAME: required('name of the stack this function belongs to'),
  STACK_ID: required('CloudFormation StackId of that stack'),
  ...observabilityVariables(D.serviceName),
});

/** The environment schema: parses the variables and yields the registration's configuration. */
export const registrationEnvironment = registrationVariables.transform((e) => ({
  amaniBaseUrl: e.AMANI_BASE_URL,
  credentialsSecretId: e.CREDENTIALS_SECRET_ID,
  rotatorFunctionName: e.ROTATOR_FUNCTION_NAME,
  webhookUrl: e.WEBHOOK_URL,
  signatureEnabled: e.SIGNATURE_ENABLED,
  enabledEvents: e.ENABLED_EVENTS as readonly AmaniEventName[],
  disableEventsOnDelete: e.DISABLE_EVENTS_ON_DELETE,
  amaniTimeoutMs: e.AMANI_TIMEOUT_MS,
  stack: { stackName: e.STACK_NAME, stackId: e.STACK_ID },
  observability: toObservabilityConfig(e),
}));

/** The registration's configuration, as its loader yields it. */
export type RegistrationConfig = z.output<typeof registrationEnvironment>;

/** What the stack decides; everything left out takes its default. */
export type RegistrationSettings = EnvironmentSettings<
  RegistrationConfig,
  'amaniBaseUrl' | 'credentialsSecretId' | 'rotatorFunctionName' | 'webhookUrl' | 'stack'
>;

/** The environment map that `loadRegistrationConfig` reads back as `settings` (plus defaults). */
export function toRegistrationEnvironment(settings: RegistrationSettings): Record<string, string> {
  return definedOnly({
    AMANI_BASE_URL: settings.amaniBaseUrl,
    CREDENTIALS_SECRET_ID: settings.credentialsSecretId,
    ROTATOR_FUNCTION_NAME: settings.rotatorFunctionName,
    WEBHOOK_URL: settings.webhookUrl,
    SIGNATURE_ENABLED: settings.signatureEnabled,
    ENABLED_EVENTS: settings.enabledEvents && listToEnvironment(settings.enabledEvents),
    DISABLE_EVENTS_ON_DELETE: settings.disableEventsOnDelete,
    AMANI_TIMEOUT_MS: settings.amaniTimeoutMs,
    STACK_NAME: settings.stack.stackName,
    STACK_ID: settings.stack.stackId,
    ...observabilityEnvironment(settings.observability),
  });
}

/** Validates the registration's environment (the process's by default); a bad one names every offending variable. */
export function loadRegistrationConfig(source: Record<string, string | undefined> = process.env): RegistrationConfig {
  return parseEnvironment('registration', registrationEnvironment, source);
}
