import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { SafeError } from '../core/errors';
import { describeAwsError } from './aws-clients';

/**
 * The rotator's `{"action":"sync"}` run (it reconciles the token secret with Amani, and
 * bootstraps it), invoked synchronously with Lambda Invoke (RequestResponse).
 *
 * A failure is a `RotatorSyncError`: `invoke` when Lambda did not run the rotator (the SDK
 * error's name and status only), `function-error` when the rotator ran and failed (its error type
 * and message, which the rotator builds secret-free; capped in length).
 */
export class RotatorSyncError extends SafeError {
  constructor(
    readonly kind: 'invoke' | 'function-error',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
    this.name = 'RotatorSyncError';
  }
}

/** The registration's `RotatorSync` port over Lambda Invoke. */
export class LambdaRotatorSync {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  /** Runs the sync; resolves the rotator's reported outcome (`bootstrapped`, `in-sync`, ...; `synced` when it reports none). */
  async sync(): Promise<string> {
    let answer: InvokeCommandOutput;
    try {
      answer = await this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify({ action: 'sync' })),
        }),
      );
    } catch (error) {
      throw new RotatorSyncError('invoke', `Lambda Invoke ${describeAwsError(error)}`, { cause: error });
    }
    const payload = decodePayload(answer.Payload);
    if (answer.FunctionError) {
      const failure = payload as { errorType?: unknown; errorMessage?: unknown } | undefined;
      const type = typeof failure?.errorType === 'string' ? failure.errorType : answer.FunctionError;
      const message = typeof failure?.errorMessage === 'string' ? truncate(failure.errorMessage, 600) : 'no error message';
      throw new RotatorSyncError('function-error', `${type}: ${message}`);
    }
    const outcome = (payload as { outcome?: unknown } | undefined)?.outcome;
    return typeof outcome === 'string' ? outcome : 'synced';
  }
}

function decodePayload(payload: Uint8Array | undefined): unknown {
  if (!payload || payload.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(payload)) as unknown;
  } catch {
    return undefined;
  }
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
