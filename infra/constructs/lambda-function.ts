import * as path from 'node:path';
import { type CfnElement, type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: entry paths and the lock file are resolved from here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Pinned explicitly (not "latest"): a CDK upgrade must never change the runtime silently. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * ESM output has no `require`; a few dependencies (and Node built-ins reached through CJS
 * interop) still call it, so the bundle defines one from `import.meta.url`.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __amaniCreateRequire } from 'node:module'; const require = __amaniCreateRequire(import.meta.url);";

export interface AppFunctionProps {
  /** Entry file relative to the repository root, e.g. `lambda/receiver/index.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment?: Record<string, string>;
  readonly logRetentionDays: logs.RetentionDays;
  readonly tracing: boolean;
  readonly reservedConcurrentExecutions?: number;
  /** Asynchronous invocations only (the schedule): retries and where a failed event goes. */
  readonly asyncInvoke?: Pick<lambda.EventInvokeConfigOptions, 'onFailure' | 'retryAttempts' | 'maxEventAge'>;
}

/**
 * One place for every function's defaults: a NodejsFunction bundled by the local esbuild (never
 * Docker), Node.js 24 on arm64, minified ESM without source maps, its own log group with a retention,
 * and its own role that may write to that log group only (no AWSLambdaBasicExecutionRole, whose
 * logs permissions span every log group of the account).
 */
export class AppFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      awsSdkConnectionReuse: false, // an SDK v2 setting; v3 reuses connections by default
      // No NODE_OPTIONS=--enable-source-maps: the functions log no stack traces (errors are logged
      // by name and safe message only), and reading the map took a tenth of a cold start (docs/benchmarks.md).
      environment: props.environment,
      ...props.asyncInvoke,
      bundling: {
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        // Nothing reads a map at run time (see the environment above); rebuild from the commit to get one.
        sourceMap: false,
        // Ship the SDK version the tests ran against instead of the runtime's copy: the code uses
        // recent client options (throwOnRequestTimeout), and tree-shaken ESM loads fewer files.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        // esbuild's warnings and errors only: its size summary would repeat on every synth (the
        // bench measures bundle sizes), CDK already names each asset it bundles.
        logLevel: LogLevel.WARNING,
      },
    });

    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Added by Lambda active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so IAM requires Resource "*".',
      });
    }
  }
}

/** Maps a validated number of days to the CDK enum (the schema only admits valid values). */
export function retentionDays(days: number): logs.RetentionDays {
  return days as logs.RetentionDays;
}

/** The CloudFormation logical id of a construct's default resource (nag findings name it). */
export function logicalIdOf(construct: Construct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}
