/**
 * What the 15-minute sync schedule costs in calls, counted over the wire: the real rotator as
 * its entry builds it (Secrets Manager client to the AWS fake, Amani client to the simulator),
 * one `{"action":"sync"}` per run, a new container each time as the worst case. The figures are
 * exact counts (no timing); docs/reliability.md turns them into a monthly bill.
 */
import './support/single-realm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { captureOutput, type CapturedOutput } from '../helpers/capture-output';
import { pointSdkAt, startAwsEmulator, type AwsEmulator } from './support/aws-fake';
import { hygieneProblems, LeakWatch } from './support/hygiene';
import { writeReport } from './support/report';
import { rotationWorld, type RotationWorld } from './support/wire-rotator';

let emulator: AwsEmulator;
let output: CapturedOutput;
const watch = new LeakWatch();
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  output = captureOutput();
  emulator = await startAwsEmulator();
  pointSdkAt(emulator);
});

afterAll(async () => {
  output.restore();
  await emulator.close();
});

/** AWS and Amani calls made by one sync of `world`. */
async function countedSync(world: RotationWorld) {
  const aws = { ...emulator.calls };
  const amani = world.sim.requests.length;
  const result = await world.run({ action: 'sync' });
  expect(result.ok).toBe(true);
  const delta = (operation: string) => (emulator.calls[operation] ?? 0) - (aws[operation] ?? 0);
  const amaniCalls = world.sim.requests.slice(amani).map((request) => request.route);
  return {
    outcome: result.ok ? result.summary.outcome : 'failed',
    amani: {
      total: amaniCalls.length,
      login: amaniCalls.filter((route) => route === 'login').length,
      getToken: amaniCalls.filter((route) => route === 'getToken').length,
      rotateToken: amaniCalls.filter((route) => route === 'rotateToken').length,
    },
    secretsManager: { GetSecretValue: delta('GetSecretValue'), PutSecretValue: delta('PutSecretValue') },
    ssm: delta('GetParameter'),
  };
}

describe('the scheduled sync, counted', () => {
  it('in steady state: 2 Amani calls (login, GET token), 2 secret reads, no write, no rotation', async () => {
    const world = await rotationWorld(emulator, watch);
    try {
      for (let run = 0; run < 3; run++) {
        const counted = await countedSync(world);
        expect(counted).toEqual({
          outcome: 'in-sync',
          amani: { total: 2, login: 1, getToken: 1, rotateToken: 0 },
          secretsManager: { GetSecretValue: 2, PutSecretValue: 0 },
          ssm: 0,
        });
        figures.steadyState = counted;
      }
    } finally {
      await world.close();
    }
  });

  it('repairing a token changed at Amani: one more GET and read (the confirmation) and one write', async () => {
    const world = await rotationWorld(emulator, watch);
    try {
      world.sim.rotateOutOfBand();
      const counted = await countedSync(world);
      expect(counted).toEqual({
        outcome: 'reconciled',
        amani: { total: 3, login: 1, getToken: 2, rotateToken: 0 },
        secretsManager: { GetSecretValue: 3, PutSecretValue: 1 },
        ssm: 0,
      });
      figures.repair = counted;
    } finally {
      await world.close();
    }
  });

  it('writes the figures (RELIABILITY_REPORT_DIR) and printed nothing secret', () => {
    writeReport('sync-schedule', { runsPerMonth: (30 * 24 * 60) / 15, ...figures });
    expect(hygieneProblems(output, watch)).toEqual([]);
  });
});
