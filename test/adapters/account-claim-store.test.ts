/**
 * The SSM claim store through the real SDK v3 client against the local AWS emulator (wire level:
 * JSON 1.1 protocol, error codes, retries).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ClaimStoreUnavailableError, SsmAccountClaimStore } from '../../lambda/adapters/account-claim-store';
import { ACCOUNT_CLAIM_PATH, type AccountClaim } from '../../lambda/core/account-claim';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';

let aws: AwsEmulator;
let store: SsmAccountClaimStore;
let n = 0;
const key = () => `${(++n).toString(16).padStart(8, '0')}${'ab'.repeat(28)}`;
const claim = (stackName: string): AccountClaim => ({
  version: 1,
  stackName,
  stackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${stackName}/1`,
  amaniBaseUrl: 'https://eu.amani.ai',
  claimedAt: '2026-12-01T10:00:00.000Z',
});

beforeAll(async () => {
  aws = await startAwsEmulator();
});
afterAll(() => aws.close());
beforeEach(() => {
  aws.clearFaults();
  store = new SsmAccountClaimStore(new SSMClient({ endpoint: aws.endpoint, region: 'eu-west-1', maxAttempts: 3 }));
});

describe('SSM account claim store', () => {
  test('create-if-absent is atomic: the second create is refused and changes nothing', async () => {
    const k = key();
    expect(await store.createIfAbsent(k, claim('first'))).toBe(true);
    expect(await store.createIfAbsent(k, claim('second'))).toBe(false);
    expect(JSON.parse(aws.parameter(`${ACCOUNT_CLAIM_PATH}/${k}`)!).stackName).toBe('first');
    const racing = key();
    const winners = await Promise.all([store.createIfAbsent(racing, claim('a')), store.createIfAbsent(racing, claim('b'))]);
    expect(winners.filter(Boolean)).toHaveLength(1);
  });

  test('read, overwrite, delete (idempotent), absent reads as undefined', async () => {
    const k = key();
    expect(await store.read(k)).toBeUndefined();
    await store.createIfAbsent(k, claim('first'));
    expect(await store.read(k)).toEqual({ key: k, claim: claim('first') });
    await store.overwrite(k, claim('second'));
    expect((await store.read(k))?.claim?.stackName).toBe('second');
    await store.delete(k);
    await store.delete(k);
    expect(await store.read(k)).toBeUndefined();
  });

  test('a value that is not a claim reads as an unattributable claim', async () => {
    const k = key();
    aws.putParameter(`${ACCOUNT_CLAIM_PATH}/${k}`, 'set by hand');
    expect(await store.read(k)).toEqual({ key: k, claim: undefined });
  });

  test('list pages through every claim under the path and nothing outside it', async () => {
    const fresh = await startAwsEmulator();
    const local = new SsmAccountClaimStore(new SSMClient({ endpoint: fresh.endpoint, region: 'eu-west-1', maxAttempts: 1 }));
    const keys = Array.from({ length: 23 }, key);
    for (const k of keys) await local.createIfAbsent(k, claim(`stack-${k.slice(0, 8)}`));
    fresh.putParameter('/amani-webhooks/other', 'x');
    fresh.putParameter(`${ACCOUNT_CLAIM_PATH}/nested/deeper`, 'x');
    const listed = await local.list();
    expect(listed.map((entry) => entry.key).sort()).toEqual([...keys].sort());
    expect(fresh.calls.GetParametersByPath).toBe(3);
    await fresh.close();
  });

  test('throttling is retried by the SDK', async () => {
    aws.injectFault('GetParameter', { kind: 'throttle' }, { times: 1 });
    const k = key();
    await store.createIfAbsent(k, claim('x'));
    expect((await store.read(k))?.claim?.stackName).toBe('x');
  });

  test.each([
    ['PutParameter', () => store.createIfAbsent(key(), claim('x'))],
    ['GetParameter', () => store.read(key())],
    ['DeleteParameter', () => store.delete(key())],
    ['GetParametersByPath', () => store.list()],
  ] as const)('%s refused: a ClaimStoreUnavailableError naming the call and the code, nothing else', async (operation, call) => {
    aws.injectFault(operation, { kind: 'access-denied' });
    const error = await call().then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(ClaimStoreUnavailableError);
    expect(error!.message).toBe(`SSM ${operation} (Amani account claim) failed: AccessDeniedException HTTP 400`);
  });
});
