/**
 * Where a CLI command acts: the local mode started by `npm start` (found through
 * `<dataDir>/runtime.json`), or a deployed stack `AmaniWebhooks-<stage>` whose outputs are
 * discovered with CloudFormation through the default credential chain.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeDeployedStack, StackNotFoundError } from '../local/deployed-stack';
import { runtimeFile, localAwsEnvironment, type LocalRuntime } from '../local/local-stack';
import { DEFAULT_SECRET_CACHE_TTL_SECONDS } from '../lambda/receiver/env';

export interface Target {
  readonly kind: 'local' | 'aws';
  readonly label: string;
  readonly webhookUrl: string;
  readonly amaniBaseUrl: string;
  readonly authMode: 'signature' | 'token';
  readonly signatureHeader: string;
  readonly tokenHeader: string;
  readonly tokenSecretId: string;
  readonly credentialsSecretId: string;
  readonly eventBusName: string;
  readonly fallbackQueueUrl: string;
  readonly previousTokenGraceMinutes?: number;
  /** How long a warm receiver trusts its cached secret: the bound on revocation. */
  readonly secretCacheTtlSeconds: number;
  /** Deployed stacks: the function `rotate`/`sync` invoke. */
  readonly rotatorFunctionName?: string;
  readonly region: string;
}

/** A target that cannot be found: exit code 3, with a message saying how to get one. */
export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}

export async function resolveTarget(options: { stage?: string; region?: string; dataDir: string }, cloudFormation?: CloudFormationClient): Promise<Target> {
  if (options.stage) return deployedTarget(options.stage, options.region, cloudFormation);
  return localTarget(options.dataDir);
}

export function localTarget(dataDir: string): Target {
  const file = runtimeFile(dataDir);
  if (!existsSync(file)) {
    throw new TargetNotFoundError(`The local mode is not running (no ${file}). Start it with \`npm start\`, or target a deployed stack with --stage <stage>.`);
  }
  const runtime = JSON.parse(readFileSync(file, 'utf8')) as LocalRuntime;
  if (!isAlive(runtime.pid)) {
    throw new TargetNotFoundError(`The local mode that wrote ${file} (pid ${runtime.pid}) is no longer running. Start it with \`npm start\`.`);
  }
  if (runtime.awsEndpoint) {
    // The product's SDK clients reach the local stand-ins exactly as they would reach AWS.
    Object.assign(process.env, localAwsEnvironment(runtime.awsEndpoint));
  }
  return {
    kind: 'local',
    label: `local mode (${runtime.receiverUrl})`,
    webhookUrl: runtime.receiverUrl,
    amaniBaseUrl: runtime.amaniBaseUrl,
    authMode: runtime.authMode,
    signatureHeader: runtime.signatureHeader,
    tokenHeader: runtime.tokenHeader,
    tokenSecretId: runtime.tokenSecretId,
    credentialsSecretId: runtime.credentialsSecretId,
    eventBusName: runtime.eventBusName,
    fallbackQueueUrl: runtime.fallbackQueueUrl,
    previousTokenGraceMinutes: runtime.previousTokenGraceMinutes,
    secretCacheTtlSeconds: runtime.secretCacheTtlSeconds,
    // A local endpoint on a deployed stack rotates through that stack's rotator, never from here.
    ...(runtime.stack ? { rotatorFunctionName: runtime.stack.rotatorFunctionName } : {}),
    region: runtime.region,
  };
}

export async function deployedTarget(stage: string, region: string | undefined, client?: CloudFormationClient): Promise<Target> {
  if (region) process.env.AWS_REGION = region;
  let stack;
  try {
    stack = await describeDeployedStack(stage, region, client);
  } catch (error) {
    if (error instanceof StackNotFoundError) throw new TargetNotFoundError(error.message);
    throw error;
  }
  const { outputs } = stack;
  return {
    kind: 'aws',
    label: `stack ${stack.name}`,
    webhookUrl: outputs.WebhookUrl,
    amaniBaseUrl: outputs.AmaniBaseUrl,
    authMode: outputs.AuthMode === 'token' ? 'token' : 'signature',
    signatureHeader: outputs.SignatureHeader || 'Webhook-Signature',
    tokenHeader: outputs.TokenHeader || 'Webhook-Token',
    tokenSecretId: outputs.TokenSecretArn,
    credentialsSecretId: outputs.CredentialsSecretArn,
    eventBusName: outputs.EventBusName,
    fallbackQueueUrl: outputs.FallbackQueueUrl,
    // Stacks deployed before the output existed ran the receiver's default.
    secretCacheTtlSeconds: Number(outputs.SecretCacheTtlSeconds) || DEFAULT_SECRET_CACHE_TTL_SECONDS,
    rotatorFunctionName: outputs.RotatorFunctionName,
    region: stack.region,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
