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

/**
 * `-c authmode=token` or `-c prodution=true` would otherwise be ignored silently (the latter
 * deploying a production stage without its retained data): a key that is not one of ours but
 * differs from one only in case or by at most two edits is an error naming the key meant.
 * Keys of CDK and its CLI (`aws:cdk:...`, `@aws-cdk/...`, `cli-telemetry`) are left alone.
 */
function rejectMisspelledKeys(app: App): void {
  const problems = Object.keys(app.node.getAllContext() as Record<string, unknown>)
    .filter((key) => !(CONTEXT_KEYS as string[]).includes(key) && !/[:@/]/.test(key))
    .flatMap((key) => {
      const meant = closestKey(key);
      return meant ? [`"${key}": unknown key; did you mean "${meant}"?`] : [];
    });
  if (problems.length > 0) throw new ContextConfigurationError(problems);
}

function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const known of CONTEXT_KEYS as string[]) {
    const distance = known.toLowerCase() === lower ? 0 : editDistance(lower, known.toLowerCase());
    if (distance <= 2 && (!best || distance < best.distance)) best = { key: known, distance };
  }
  return best?.key;
}

/** Levenshtein distance (short keys only). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
