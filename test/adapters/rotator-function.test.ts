/** The rotator's sync through the real Lambda client against the local AWS emulator's Invoke. */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { clientOptions } from '../../lambda/adapters/aws-clients';
import { LambdaRotatorSync, RotatorSyncError } from '../../lambda/adapters/rotator-function';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';

let aws: AwsEmulator;
let client: LambdaClient;

beforeEach(async () => {
  aws = await startAwsEmulator();
  client = new LambdaClient({
    ...clientOptions({ connectionTimeoutMs: 1000, requestTimeoutMs: 5000, maxAttempts: 1 }),
    endpoint: aws.endpoint,
  });
});

afterEach(async () => {
  client.destroy();
  await aws.close();
});

async function failureOf(promise: Promise<unknown>): Promise<RotatorSyncError> {
  try {
    await promise;
  } catch (error) {
    return error as RotatorSyncError;
  }
  throw new Error('expected a failure');
}

describe('LambdaRotatorSync', () => {
  test('invokes {"action":"sync"} synchronously and answers the outcome the rotator reports', async () => {
    const payloads: unknown[] = [];
    aws.registerFunction('rotator', async (payload) => {
      payloads.push(payload);
      return { action: 'sync', outcome: 'in-sync' };
    });
    await expect(new LambdaRotatorSync(client, 'rotator').sync()).resolves.toBe('in-sync');
    // By ARN too, as the stack may name it.
    await expect(new LambdaRotatorSync(client, 'arn:aws:lambda:eu-west-1:000000000000:function:rotator').sync()).resolves.toBe('in-sync');
    expect(payloads).toEqual([{ action: 'sync' }, { action: 'sync' }]);
  });

  test('an answer without an outcome is "synced"', async () => {
    aws.registerFunction('rotator', async () => null);
    await expect(new LambdaRotatorSync(client, 'rotator').sync()).resolves.toBe('synced');
  });

  test("a failed run is a function-error naming the rotator's error type, with its message capped at 600 characters", async () => {
    aws.registerFunction('rotator', async () => {
      throw Object.assign(new Error(`Amani GET /api/v2/webhook/token failed: ${'x'.repeat(1000)}`), { name: 'RotationError' });
    });
    const error = await failureOf(new LambdaRotatorSync(client, 'rotator').sync());
    expect(error).toBeInstanceOf(RotatorSyncError);
    expect(error.kind).toBe('function-error');
    expect(error.message).toMatch(/^RotationError: Amani GET \/api\/v2\/webhook\/token failed: x+\.\.\.$/);
    expect(error.message.length).toBe('RotationError: '.length + 600);
  });

  test('Lambda refusing or not finding the function is an invoke error naming the AWS error only', async () => {
    aws.injectFault('Invoke', { kind: 'throttle' }, { times: 1 });
    const throttled = await failureOf(new LambdaRotatorSync(client, 'rotator').sync());
    expect([throttled.kind, throttled.message]).toEqual(['invoke', 'Lambda Invoke ThrottlingException HTTP 400']);
    const missing = await failureOf(new LambdaRotatorSync(client, 'missing').sync());
    expect([missing.kind, missing.message]).toEqual(['invoke', 'Lambda Invoke ResourceNotFoundException HTTP 404']);
  });
});
