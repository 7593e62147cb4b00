/**
 * A Lambda invocation context like the platform's, for calling the product's handlers outside
 * Lambda (the local mode, the CLI, tests, benchmarks): the handlers read the remaining time
 * from it to size their retry budgets.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  readonly functionName: string;
  /** Time left until the (simulated) function timeout. */
  readonly remainingMs?: number;
  readonly memoryMb?: number;
  readonly requestId?: string;
}

export function lambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + (options.remainingMs ?? 10_000);
  const { functionName } = options;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
