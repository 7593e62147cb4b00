/**
 * Where a CLI command acts, through one interface: the local mode started by `npm start`
 * (cli/targets/local.ts) or a deployed stack `AmaniWebhooks-<stage>` (cli/targets/deployed.ts).
 * Each kind is loaded only when it is the one asked for, so a command on a deployed stage never
 * loads the local mode's code.
 */
import type { FollowOptions } from './tail/follow';

export interface Target {
  readonly kind: 'local' | 'aws';
  /** For people: "local mode (http://...)" or "stack AmaniWebhooks-prod". */
  readonly label: string;
  /** The receiver's URL, as registered with Amani. */
  readonly webhookUrl: string;
  readonly amaniBaseUrl: string;
  /** How the receiver authenticates deliveries. */
  readonly authMode: 'signature' | 'token';
  readonly signatureHeader: string;
  readonly tokenHeader: string;
  readonly tokenSecretId: string;
  readonly credentialsSecretId: string;
  readonly eventBusName: string;
  /** The `source` of the events the receiver publishes (the `eventSource` setting). */
  readonly eventSource: string;
  readonly fallbackQueueUrl: string;
  /** How long a warm receiver trusts its cached secret: the bound on revocation. */
  readonly secretCacheTtlSeconds: number;
  readonly region: string;
  /** The delivery ledger (DynamoDB table); unset for a stack deployed before it existed. */
  readonly ledgerTableName?: string;
  /** Hours a delivery id is published at most once (and kept in the ledger). */
  readonly dedupWindowHours?: number;
  /** The bus's archive and the bus itself: a replay's source and destination. */
  readonly archiveArn?: string;
  readonly eventBusArn?: string;
  /** Runs the rotator with `payload` and returns its summary; a failed run throws. */
  invokeRotator(payload: Record<string, unknown>): Promise<unknown>;
  /** Shows the bus's events as they arrive until `options.signal` aborts; resolves once what it created is deleted. */
  followEvents(options: FollowOptions): Promise<void>;
}

/** A target that cannot be found: exit code 3, with a message saying how to get one. */
export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}

export interface TargetOptions {
  readonly stage?: string;
  readonly region?: string;
  readonly dataDir?: string;
}

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.stage) return (await import('./targets/deployed')).deployedTarget(options.stage, options.region);
  return (await import('./targets/local')).localTarget(options.dataDir ?? '.local');
}
