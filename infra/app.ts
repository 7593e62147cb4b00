/**
 * The CDK app (`cdk.json`: `node --import tsx infra/app.ts`). Context is read and validated in
 * infra/config.ts; an invalid value stops here with a message naming the key and what is allowed.
 */
import { App } from 'aws-cdk-lib';
import { buildApp } from './build-app';
import { ContextConfigurationError } from './config';

try {
  buildApp(new App());
} catch (error) {
  if (!(error instanceof ContextConfigurationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
