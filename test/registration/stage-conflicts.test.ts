/**
 * One Amani account per stage, end to end: stages deployed, updated, renamed and deleted against
 * one Amani account (the simulator, over HTTP), with the real registration handler, the real
 * rotator (invoked through the emulator's Lambda Invoke) and the claims in the emulator's SSM.
 *
 * `STAGE_CONFLICT_TRANSCRIPT=<file>` writes what each step answered (the closing note's
 * transcript) to that file.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { startAmaniSimulator, type AmaniSimulator } from '../../local/amani-simulator';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { claimOf, createStage, failureOf, useEmulator, type Credentials } from './stage-harness';

const OPS = { username: 'ops@example.com', password: 'ops-password-sentinel-1' };
const SECOND_USER = { username: 'second@example.com', password: 'second-password-sentinel-2' };
const USER_TOKEN = { userToken: 'static-user-token-sentinel-3' };

let aws: AwsEmulator;
let amani: AmaniSimulator;
let output: CapturedOutput;
const transcript: string[] = [];
const note = (line: string) => transcript.push(line);

beforeEach(async () => {
  aws = await startAwsEmulator();
  useEmulator(aws);
  amani = await startAmaniSimulator({ users: [OPS, SECOND_USER], userTokens: [USER_TOKEN.userToken] });
  output = captureOutput();
});

afterEach(async () => {
  output.restore();
  const everything = [output.text(), ...transcript].join('\n');
  for (const secret of [...amani.sensitiveValues(), OPS.password, SECOND_USER.password]) expect(everything).not.toContain(secret);
  await amani.close();
  await aws.close();
});

afterAll(() => {
  if (process.env.STAGE_CONFLICT_TRANSCRIPT) writeFileSync(process.env.STAGE_CONFLICT_TRANSCRIPT, `${transcript.join('\n')}\n`);
});

/** `null` credentials: the stack created its credentials secret and nobody has filled it yet. */
const stage = (name: string, credentials: Credentials | null = OPS) => createStage(aws, amani, name, credentials ? { credentials } : {});
const allEnabled = () => Object.values(amani.registration()?.events ?? {}).every(Boolean);
const noneEnabled = () => Object.values(amani.registration()?.events ?? {}).every((enabled) => !enabled);

describe('one Amani account per stage', () => {
  it('two stages, one Amani account: the second deploy is refused, naming the owner, and Amani is untouched', async () => {
    note('## two stages, one Amani account');
    const dev = stage('dev');
    const staging = stage('staging');
    const deployed = await dev.deploy();
    note(`$ deploy AmaniWebhooks-dev\n  ${deployed.Data.Message}`);
    expect(deployed.Data).toMatchObject({ Registered: 'true', TokenSync: 'bootstrapped' });
    expect(amani.registration()?.url).toBe(dev.webhookUrl);
    expect(dev.secret().token).toBe(amani.currentToken());
    const puts = amani.requestsTo('registerWebhook').length;
    const token = amani.currentToken();

    const refused = await failureOf(staging.deploy());
    note(`$ deploy AmaniWebhooks-staging (same Amani credentials)\n  FAILED: ${refused.message}`);
    expect(refused.name).toBe('RegistrationError');
    expect(refused.message).toContain(
      `The Amani account at ${amani.url} (the user of ${staging.credentialsSecretId}) is already used by stack AmaniWebhooks-dev (${dev.stackId}, claimed `,
    );
    expect(refused.message).toContain(
      'Give this stage its own Amani account (another credentials secret), or delete stack AmaniWebhooks-dev first: its deletion releases the claim. Nothing was changed in Amani.',
    );
    expect(amani.requestsTo('registerWebhook')).toHaveLength(puts);
    expect(amani.registration()?.url).toBe(dev.webhookUrl);
    expect(amani.currentToken()).toBe(token);
    expect(amani.requestsTo('rotateToken')).toHaveLength(0);
    expect(staging.secret().token).toBeUndefined();
    expect(claimOf(aws, amani.url, OPS)?.stackId).toBe(dev.stackId);
  });

  it("deleting a stage that does not own the account leaves Amani's registration untouched", async () => {
    note('## delete of a non-owner');
    const dev = stage('dev');
    const staging = stage('staging');
    await dev.deploy();
    await failureOf(staging.deploy());
    const before = { registration: amani.registration(), puts: amani.requestsTo('registerWebhook').length };

    // CloudFormation rolls the failed create back, or an operator deletes the stage later.
    const deleted = await staging.destroy();
    note(`$ delete AmaniWebhooks-staging\n  ${deleted.Data.Message}`);
    expect(deleted.Data.Message).toBe(
      `The Amani webhook was left as it is: the Amani account is claimed by stack AmaniWebhooks-dev (${dev.stackId}, claimed ${claimOf(aws, amani.url, OPS)!.claimedAt}), not by this stack.`,
    );
    expect(amani.registration()).toEqual(before.registration);
    expect(amani.requestsTo('registerWebhook')).toHaveLength(before.puts);
    expect(allEnabled()).toBe(true);
    expect(claimOf(aws, amani.url, OPS)?.stackId).toBe(dev.stackId);
    expect(dev.secret().token).toBe(amani.currentToken());
  });

  it('deleting the owner disables the events and releases the claim; then another stage may take the account', async () => {
    note('## delete of the owner, then the other stage');
    const dev = stage('dev');
    const staging = stage('staging');
    await dev.deploy();
    const deleted = await dev.destroy();
    note(`$ delete AmaniWebhooks-dev\n  ${deleted.Data.Message}`);
    expect(deleted.Data.Message).toBe('Disabled every event of the Amani webhook. Released the Amani account claim.');
    expect(noneEnabled()).toBe(true);
    expect(claimOf(aws, amani.url, OPS)).toBeUndefined();
    const taken = await staging.deploy();
    note(`$ deploy AmaniWebhooks-staging\n  ${taken.Data.Message}`);
    expect(taken.Data.Registered).toBe('true');
    expect(amani.registration()?.url).toBe(staging.webhookUrl);
    expect(allEnabled()).toBe(true);
    expect(claimOf(aws, amani.url, OPS)?.stackId).toBe(staging.stackId);
  });

  it('a delete with disableEventsOnDelete off, or without credentials, still releases the claim', async () => {
    const kept = createStage(aws, amani, 'dev', { credentials: OPS, disableEventsOnDelete: false });
    await kept.deploy();
    expect((await kept.destroy()).Data.Message).toBe(
      'The Amani webhook was left as it is (disableEventsOnDelete=false). Released the Amani account claim.',
    );
    expect(claimOf(aws, amani.url, OPS)).toBeUndefined();
    expect(allEnabled()).toBe(true);

    const emptied = stage('staging');
    await emptied.deploy();
    emptied.clearCredentials();
    expect((await emptied.destroy()).Data.Message).toBe(
      'No Amani API credentials: nothing was registered, nothing to disable. Released the Amani account claim.',
    );
    expect(claimOf(aws, amani.url, OPS)).toBeUndefined();
    expect(allEnabled()).toBe(true);
  });

  it('redeploying the owner keeps its claim; a renamed stage is a new stack and is refused until the old one is deleted', async () => {
    note('## redeploy and rename');
    const dev = stage('dev');
    await dev.deploy();
    const updated = await dev.update();
    note(`$ redeploy AmaniWebhooks-dev\n  ${updated.Data.Message}`);
    expect(updated.Data.Registered).toBe('true');

    const renamed = stage('dev2');
    const refused = await failureOf(renamed.deploy());
    note(`$ deploy AmaniWebhooks-dev2 (the stage renamed, old stack still there)\n  FAILED: ${refused.message}`);
    expect(refused.message).toContain('already used by stack AmaniWebhooks-dev (');
    await renamed.destroy();
    await dev.destroy();
    expect((await renamed.deploy()).Data.Registered).toBe('true');
    expect(claimOf(aws, amani.url, OPS)?.stackName).toBe('AmaniWebhooks-dev2');
  });

  it('a stage re-created under its name after a delete that could not release the claim takes it over; others stay refused', async () => {
    const dev = stage('dev');
    await dev.deploy();
    aws.injectFault('GetParametersByPath', { kind: 'server-error' });
    const deleted = await dev.destroy();
    expect(deleted.Data.Message).toContain(
      "Could not release this stack's Amani account claim (SSM GetParametersByPath (Amani account claim) failed: InternalFailure HTTP 500)",
    );
    aws.clearFaults();
    expect(claimOf(aws, amani.url, OPS)?.stackId).toBe(dev.stackId);

    expect((await failureOf(stage('staging').deploy())).message).toContain('already used by stack AmaniWebhooks-dev');
    const again = stage('dev');
    expect(again.stackId).not.toBe(dev.stackId);
    expect((await again.deploy()).Data.Registered).toBe('true');
    expect(claimOf(aws, amani.url, OPS)?.stackId).toBe(again.stackId);
    expect(
      output
        .logs()
        .filter((line) => line.message === 'webhook registered with Amani')
        .at(-1),
    ).toMatchObject({ claim: 'taken-over' });
  });

  it("changing a stage's credentials to another Amani account moves its claim", async () => {
    const dev = stage('dev');
    await dev.deploy();
    dev.setCredentials(SECOND_USER);
    expect((await dev.update()).Data.Message).toContain("Released this stack's claim on 1 other Amani account(s).");
    expect(claimOf(aws, amani.url, OPS)).toBeUndefined();
    expect(claimOf(aws, amani.url, SECOND_USER)?.stackId).toBe(dev.stackId);
    expect((await stage('staging').deploy()).Data.Registered).toBe('true');
  });

  it('upgrading two stages that already shared an account: the second is refused, and its rollback changes nothing', async () => {
    // Both registered before claims existed: Amani points at whichever registered last.
    const dev = stage('dev');
    const staging = stage('staging');
    expect((await dev.update()).Data.Registered).toBe('true');
    const refused = await failureOf(staging.update());
    expect(refused.message).toContain('already used by stack AmaniWebhooks-dev');
    const puts = amani.requestsTo('registerWebhook').length;
    // CloudFormation rolls the custom resource back with the old template's properties: failing
    // again would leave the stack in UPDATE_ROLLBACK_FAILED.
    const rollback = await staging.rollbackToPreClaimTemplate();
    expect(rollback.Data).toEqual({
      Registered: 'false',
      TokenSync: 'none',
      Message: 'Rolled back to a configuration from before Amani account claims: nothing was changed at Amani.',
    });
    expect(amani.requestsTo('registerWebhook')).toHaveLength(puts);
    expect(amani.registration()?.url).toBe(dev.webhookUrl);
  });

  it('two stages deploying at the same time: exactly one gets the account', async () => {
    const [a, b] = [stage('blue'), stage('green')];
    const results = await Promise.allSettled([a.deploy(), b.deploy()]);
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    const winner = claimOf(aws, amani.url, OPS)!;
    expect((loser.reason as Error).message).toContain(`already used by stack ${winner.stackName}`);
    expect(amani.registration()?.url).toBe(winner.stackName === a.stackName ? a.webhookUrl : b.webhookUrl);
  });

  it('user-token credentials: the token identifies the account, so two stages with one user token are refused too', async () => {
    await stage('dev', USER_TOKEN).deploy();
    const refused = await failureOf(stage('staging', USER_TOKEN).deploy());
    expect(refused.message).toContain('already used by stack AmaniWebhooks-dev');
    expect(refused.message).not.toContain(USER_TOKEN.userToken);
  });

  it('SSM unavailable: the deploy fails before anything changes at Amani', async () => {
    aws.injectFault('PutParameter', { kind: 'access-denied' });
    const error = await failureOf(stage('dev').deploy());
    expect(error.message).toBe(
      'Checking the Amani account claim failed: SSM PutParameter (Amani account claim) failed: AccessDeniedException HTTP 400. Nothing was changed in Amani.',
    );
    expect(amani.requestsTo('registerWebhook')).toHaveLength(0);
  });

  it('a first registration that Amani refuses leaves no claim behind', async () => {
    amani.injectFault('registerWebhook', { kind: 'fail-before', status: 400 }, { times: Infinity });
    await failureOf(stage('dev').deploy());
    expect(claimOf(aws, amani.url, OPS)).toBeUndefined();
    amani.clearFaults();
    expect((await stage('staging').deploy()).Data.Registered).toBe('true');
  });

  it("a stage whose credentials are filled in after its deploy cannot register or rotate another stage's account", async () => {
    note('## credentials filled in after the deploy');
    const dev = stage('dev');
    await dev.deploy();
    const staging = stage('staging', null);
    expect((await staging.deploy()).Data.Registered).toBe('false');
    staging.setCredentials(OPS);
    const register = await failureOf(staging.register());
    note(`$ aws lambda invoke AmaniWebhooks-staging-registration {"action":"register"}\n  FAILED: ${register.message}`);
    expect(register.message).toContain('already used by stack AmaniWebhooks-dev');
    const rotation = await failureOf(staging.rotator({ action: 'rotate', force: true }));
    note(`$ aws lambda invoke AmaniWebhooks-staging-rotator {"action":"rotate","force":true}\n  FAILED: ${rotation.message}`);
    expect(rotation.message).toMatch(
      /^Token rotation failed at check-claim: the Amani account of the credentials secret is claimed by stack AmaniWebhooks-dev/,
    );
    expect(amani.requestsTo('rotateToken')).toHaveLength(0);
    expect(dev.secret().token).toBe(amani.currentToken());
  });

  it("what no claim can prevent (a stage in another AWS account): the owner's next sync detects it, TokenChangedElsewhere", async () => {
    note('## a stage in another AWS account');
    const dev = stage('dev');
    await dev.deploy();
    // Another AWS account has its own SSM: its stage claims the same Amani account there.
    const otherAccount = await startAwsEmulator();
    try {
      useEmulator(otherAccount);
      const elsewhere = createStage(otherAccount, amani, 'prod', { credentials: OPS });
      await elsewhere.deploy();
      await elsewhere.rotator({ action: 'rotate', force: true });
    } finally {
      useEmulator(aws);
      await otherAccount.close();
    }
    expect(dev.secret().token).not.toBe(amani.currentToken());
    const sync = await dev.rotator({ action: 'sync' });
    note(`$ (every 15 minutes) sync of AmaniWebhooks-dev\n  ${JSON.stringify(sync)}`);
    expect(sync).toMatchObject({ outcome: 'reconciled', changedElsewhere: true });
    expect(output.metric('TokenChangedElsewhere')).toBe(1);
    expect(dev.secret()).toMatchObject({ token: amani.currentToken(), tokenChangedElsewhereAt: expect.any(String) });
  });
});
