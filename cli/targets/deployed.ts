/**
 * A deployed stack `AmaniWebhooks-<stage>`, found through its CloudFormation outputs with the
 * default AWS credential chain. The rotator runs in AWS (Lambda Invoke), never on this machine.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DEFAULT_EVENT_SOURCE } from '../../lambda/core/event-contract';
import { DEFAULT_SECRET_CACHE_TTL_SECONDS } from '../../lambda/receiver/env';
import { describeDeployedStack, StackNotFoundError } from '../../local/deployed-stack';
import { TargetNotFoundError, type Target } from '../target';
import { invokeDeployedRotator } from './rotator-function';

export async function deployedTarget(stage: string, region: string | undefined, client?: CloudFormationClient): Promise<Target> {
  if (region) process.env.AWS_REGION = region;
  let stack: Awaited<ReturnType<typeof describeDeployedStack>>;
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
    // Stacks deployed before the output existed publish with the default source.
    eventSource: outputs.EventSource || DEFAULT_EVENT_SOURCE,
    fallbackQueueUrl: outputs.FallbackQueueUrl,
    // Stacks deployed before the output existed ran the receiver's default.
    secretCacheTtlSeconds: Number(outputs.SecretCacheTtlSeconds) || DEFAULT_SECRET_CACHE_TTL_SECONDS,
    region: stack.region,
    // Outputs of later releases: a stack deployed before them lacks them (the commands that need one say so).
    ...(outputs.DeliveryLedgerTableName ? { ledgerTableName: outputs.DeliveryLedgerTableName } : {}),
    ...(Number(outputs.DedupWindowHours) > 0 ? { dedupWindowHours: Number(outputs.DedupWindowHours) } : {}),
    ...(outputs.ArchiveArn ? { archiveArn: outputs.ArchiveArn } : {}),
    ...(outputs.EventBusArn ? { eventBusArn: outputs.EventBusArn } : {}),
    invokeRotator: (payload) => invokeDeployedRotator(outputs.RotatorFunctionName, stack.region, payload),
    followEvents: async (options) =>
      (await import('../tail/rule-queue')).followThroughRuleAndQueue({
        ...options,
        eventBusName: outputs.EventBusName,
        region: stack.region,
      }),
  };
}
