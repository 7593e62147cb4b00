/**
 * The local mode started by `npm start`, found through `<dataDir>/runtime.json`. Its AWS
 * stand-ins are reached by pointing the SDK at them (AWS_ENDPOINT_URL), exactly as the product's
 * clients reach AWS; the rotator runs in this process, unless the local endpoint runs on a
 * deployed stack (`npm start -- --stage`), whose own rotator is invoked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isProcessAlive, localAwsEnvironment, runtimeFile, type LocalRuntime } from '../../local/runtime';
import { DEFAULT_EVENT_SOURCE } from '../../lambda/core/event-contract';
import { TargetNotFoundError, type Target } from '../target';

export function localTarget(dataDir: string): Target {
  const file = runtimeFile(dataDir);
  if (!existsSync(file)) {
    throw new TargetNotFoundError(
      `The local mode is not running (no ${file}). Start it with \`npm start\`, or target a deployed stack with --stage <stage>.`,
    );
  }
  let runtime: LocalRuntime;
  try {
    runtime = JSON.parse(readFileSync(file, 'utf8')) as LocalRuntime;
  } catch {
    throw new TargetNotFoundError(`${file} is not readable JSON: restart the local mode (\`npm start\`).`);
  }
  if (!isProcessAlive(runtime.pid)) {
    throw new TargetNotFoundError(
      `The local mode that wrote ${file} (pid ${runtime.pid}) is no longer running. Start it with \`npm start\`.`,
    );
  }
  // A local endpoint on a deployed stack uses that stack's real services and rotator.
  if (runtime.awsEndpoint) Object.assign(process.env, localAwsEnvironment(runtime.awsEndpoint, runtime.region, runtime.dynamodbEndpoint));
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
    eventSource: runtime.eventSource ?? DEFAULT_EVENT_SOURCE,
    fallbackQueueUrl: runtime.fallbackQueueUrl,
    secretCacheTtlSeconds: runtime.secretCacheTtlSeconds,
    region: runtime.region,
    ...(runtime.ledgerTableName ? { ledgerTableName: runtime.ledgerTableName } : {}),
    ...(runtime.dedupWindowHours ? { dedupWindowHours: runtime.dedupWindowHours } : {}),
    ...(runtime.archiveArn ? { archiveArn: runtime.archiveArn } : {}),
    ...(runtime.eventBusArn ? { eventBusArn: runtime.eventBusArn } : {}),
    invokeRotator: async (payload) => {
      if (runtime.stack)
        return (await import('./rotator-function')).invokeDeployedRotator(runtime.stack.rotatorFunctionName, runtime.region, payload);
      const { buildLocalRotator, invokeLocally } = await import('../../local/local-rotator');
      const rotator = buildLocalRotator({
        tokenSecretId: runtime.tokenSecretId,
        credentialsSecretId: runtime.credentialsSecretId,
        amaniBaseUrl: runtime.amaniBaseUrl,
        previousTokenGraceMinutes: runtime.previousTokenGraceMinutes,
      });
      return invokeLocally(rotator, payload, 'amani-webhooks-rotator-local');
    },
    followEvents: async (options) => {
      // A local endpoint on a deployed stack publishes to that stack's real bus.
      if (runtime.stack)
        return (await import('../tail/rule-queue')).followThroughRuleAndQueue({
          ...options,
          eventBusName: runtime.eventBusName,
          region: runtime.region,
        });
      return (await import('../tail/event-log')).followEventLog(runtime.eventsFile, options);
    },
  };
}
