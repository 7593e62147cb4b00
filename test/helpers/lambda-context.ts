import type { Context } from 'aws-lambda';
import { lambdaContext } from '../../local/lambda-context';

export function fakeLambdaContext(remainingMs = 10_000, functionName = 'receiver'): Context {
  return lambdaContext({ functionName, remainingMs, requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678' });
}
