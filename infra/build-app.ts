import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT_KEYS, ContextConfigurationError, configFromContext, type AppConfig } from './config';
import { AmaniWebhooksStack } from './stack';

/**
 * Builds the app's one stack from the app's context and registers cdk-nag's AWS Solutions checks
 * (unacknowledged findings make `synth` fail). Shared by `infra/app.ts` and the tests, so both
 * get the same stack, checks included.
 */
export function buildApp(app: App): { stack: AmaniWebhooksStack; config: AppConfig } {
  rejectMisspelledKeys(app);
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const stack = new AmaniWebhooksStack(app, `AmaniWebhooks-${config.stage}`, {
    config,
    description: `Amani KYC webhooks (${config.stage}): API Gateway -> Lambda -> EventBridge, token rotation (amani-webhooks)`,
    terminationProtection: config.production,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stack, config };
}

/** `-c authmode=token` would otherwise be ignored silently: a key differing only in case is an error. */
function rejectMisspelledKeys(app: App): void {
  const known = new Map(CONTEXT_KEYS.map((key) => [key.toLowerCase(), key as string]));
  const problems = Object.keys(app.node.getAllContext() as Record<string, unknown>)
    .filter((key) => !(CONTEXT_KEYS as string[]).includes(key) && known.has(key.toLowerCase()))
    .map((key) => `"${key}": unknown key; did you mean "${known.get(key.toLowerCase())}"?`);
  if (problems.length > 0) throw new ContextConfigurationError(problems);
}
