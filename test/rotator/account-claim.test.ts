/**
 * The rotator refuses to rotate the token of an Amani account another stack has claimed (one
 * Amani account per stage); syncs never look at claims. Claims are read over the wire from the
 * local AWS emulator's SSM, through the rotator's own SSM client.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SSMClient } from '@aws-sdk/client-ssm';
import { amaniAccountKey, claimName } from '../../lambda/core/account-claim';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';
import { assertNothingLeaked, INITIAL_TOKEN, rotatorHarness, USER, type RotatorHarness } from './rotator-harness';

const ME = { stackName: 'AmaniWebhooks-staging', stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-staging/2' };
const OTHER = { stackName: 'AmaniWebhooks-prod', stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AmaniWebhooks-prod/1' };

let aws: AwsEmulator;
let h: RotatorHarness;

beforeEach(async () => {
  aws = await startAwsEmulator();
});

afterEach(async () => {
  try {
    assertNothingLeaked(h);
  } finally {
    await h.dispose();
    await aws.close();
  }
});

async function start() {
  h = await rotatorHarness({ config: { stack: ME }, ssm: new SSMClient({ endpoint: aws.endpoint, region: 'eu-west-1', maxAttempts: 1 }) });
  return h;
}

function claimAs(holder: typeof ME) {
  const key = amaniAccountKey(h.sim.url, USER);
  aws.putParameter(
    claimName(key),
    JSON.stringify({ version: 1, ...holder, amaniBaseUrl: h.sim.url, claimedAt: '2026-11-01T00:00:00.000Z' }),
  );
}

describe('one Amani account per stage: the rotator', () => {
  it('refuses to rotate an account another stack claimed, changing nothing, and says who owns it', async () => {
    await start();
    claimAs(OTHER);
    const error = await h.invokeFailing({ action: 'rotate', force: true });
    expect(error.message).toBe(
      `Token rotation failed at check-claim: the Amani account of the credentials secret is claimed by stack AmaniWebhooks-prod (${OTHER.stackId}, claimed 2026-11-01T00:00:00.000Z): one Amani account serves one stage, so this stack does not rotate its token; give this stage its own Amani account; nothing was changed`,
    );
    expect(h.sim.requestsTo('rotateToken')).toHaveLength(0);
    expect(h.sim.currentToken()).toBe(INITIAL_TOKEN);
    expect(h.tokenWrites()).toHaveLength(0);
    expect(h.output.metric('RotationFailed')).toBe(1);
    // The scheduled rotation is refused the same way; an emergency one too.
    await h.invokeFailing({});
    await h.invokeFailing({ action: 'rotate', revokePrevious: true });
    expect(h.sim.requestsTo('rotateToken')).toHaveLength(0);
  });

  it('still syncs (reading Amani changes nothing there), without reading the claim', async () => {
    await start();
    claimAs(OTHER);
    expect((await h.invoke({ action: 'sync' })).outcome).toBe('in-sync');
    expect(aws.calls.GetParameter ?? 0).toBe(0);
  });

  it.each([
    ['its own claim', () => claimAs(ME)],
    ['an earlier stack of the same name (replaced)', () => claimAs({ ...ME, stackId: `${ME.stackId}-old` })],
    ['no claim at all', () => undefined],
  ])('rotates with %s', async (_name, arrange) => {
    await start();
    arrange();
    expect((await h.invoke({ action: 'rotate', force: true })).outcome).toBe('rotated');
    expect(aws.calls.GetParameter).toBe(1);
  });

  it('rotates when the claim cannot be read (an emergency rotation must not depend on SSM), with a warning', async () => {
    await start();
    claimAs(OTHER);
    aws.injectFault('GetParameter', { kind: 'access-denied' });
    expect((await h.invoke({ action: 'rotate', revokePrevious: true })).outcome).toBe('rotated');
    expect(h.logs('could not read the Amani account claim; rotating anyway')[0]).toMatchObject({
      step: 'check-claim',
      reason: 'SSM GetParameter (Amani account claim) failed: AccessDeniedException HTTP 400',
    });
  });
});
