import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseContext, type AppConfig } from './config';
import { AmaniWebhooksStack } from './stack';

/**
 * Builds the app's one stack from the app's whole context (cdk.json + `-c`; an unknown key that is
 * not CDK's own stops here, see infra/config.ts) and registers cdk-nag's AWS Solutions checks
 * (unacknowledged findings make `synth` fail). Shared by `infra/app.ts` and the tests, so both
 * get the same stack, checks included.
 */
export function buildApp(app: App): { stack: AmaniWebhooksStack; config: AppConfig } {
  const config = parseContext(app.node.getAllContext() as Record<string, unknown>);
  const stack = new AmaniWebhooksStack(app, `AmaniWebhooks-${config.stage}`, {
    config,
    description: `Amani KYC webhooks (${config.stage}): API Gateway -> Lambda -> EventBridge, token rotation (amani-webhooks)`,
    terminationProtection: config.production,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stack, config };
}
