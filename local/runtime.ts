/**
 * How a running local mode is found: `<dataDir>/runtime.json`, written by `npm start` (or a
 * test's local stack) and read by the CLI. This module loads nothing of the stand-ins, so the
 * CLI can read it without starting or importing them.
 */
import { join, resolve } from 'node:path';

/** What `runtime.json` holds: everything a CLI needs to reach this local stack (no secrets). */
export interface LocalRuntime {
  readonly pid: number;
  readonly startedAt: string;
  readonly receiverUrl: string;
  readonly amaniBaseUrl: string;
  readonly awsEndpoint: string;
  readonly region: string;
  readonly tokenSecretId: string;
  readonly credentialsSecretId: string;
  readonly eventBusName: string;
  /** The receiver's event source (absent in files written before it was recorded: the default). */
  readonly eventSource?: string;
  readonly fallbackQueueUrl: string;
  readonly authMode: 'signature' | 'token';
  readonly signatureHeader: string;
  readonly tokenHeader: string;
  readonly previousTokenGraceMinutes: number;
  /** The local receiver's secret cache lifetime: a revoked token is refused within it. */
  readonly secretCacheTtlSeconds: number;
  readonly eventsFile: string;
  /** The local DynamoDB (dynalite); unset for an endpoint on a deployed stack (the real one). */
  readonly dynamodbEndpoint?: string;
  /** The delivery ledger table; unset when deliveries are not deduplicated. */
  readonly ledgerTableName?: string;
  readonly dedupWindowHours?: number;
  /** The bus's archive and the bus (a replay's source and destination). */
  readonly archiveArn?: string;
  readonly eventBusArn?: string;
  /** Set when the endpoint uses a deployed stack's AWS services (`npm start -- --stage`). */
  readonly stack?: { readonly name: string; readonly rotatorFunctionName: string };
}

/** The runtime file of the local mode whose state lives in `dataDir`. */
export function runtimeFile(dataDir: string): string {
  return join(resolve(dataDir), 'runtime.json');
}

/** The SDK settings that point the product's AWS clients at the local stand-ins (DynamoDB: its own endpoint). */
export function localAwsEnvironment(awsEndpoint: string, region: string, dynamodbEndpoint?: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: awsEndpoint,
    ...(dynamodbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint } : {}),
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Whether a process with this id exists (EPERM: it does, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
