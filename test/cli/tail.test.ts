/**
 * `npx amani-webhooks tail`: in the local mode through its event log, and on a deployed stage
 * through a temporary rule and queue on the (emulated) bus, found through the stack's outputs.
 * What it creates is deleted whichever way it stops: --max, Ctrl-C (a real SIGINT to the CLI
 * process), or an AWS error part-way through setting up; what cannot be deleted is named.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { run } from '../../cli/main';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import { startAwsEmulator, type AwsEmulator } from '../../local/aws-emulator';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { productEvent } from '../helpers/bus-events';
import { publishedSchemaProblems } from '../helpers/published-schema';

const REPO = resolve(__dirname, '../..');
const BUS = 'amani-webhooks-prod';
const OUTPUTS = {
  WebhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/webhook',
  EventBusName: BUS,
  TokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:token-AbCdEf',
  CredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:creds-AbCdEf',
  FallbackQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/000000000000/fallback',
  RotatorFunctionName: 'AmaniWebhooks-prod-Rotator',
  AmaniBaseUrl: 'https://eu.amani.ai',
  AuthMode: 'signature',
  EventSource: 'amani',
};

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) } };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('tail on the local mode', () => {
  let stack: LocalStack;
  let dataDir: string;

  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    dataDir = mkdtempSync(join(tmpdir(), 'amani-tail-'));
    stack = await startLocalStack({ dataDir, fresh: true });
  });
  afterAll(() => stack.close());

  const send = async (event: string, seed: number) => {
    const delivery = prepareDelivery({ payload: samplePayload(event, seed), token: stack.amani.currentToken()!, authMode: 'signature' });
    expect((await sendDelivery(stack.runtime.receiverUrl, delivery)).status).toBe(200);
  };

  it('shows the events that arrive after it starts, filtered, one JSON line each, without personal data', async () => {
    await send('profile_update', 0);
    const { out, err, io: streams } = io();
    const tailing = run(
      ['tail', '--data-dir', dataDir, '--json', '--max', '2', '--event', 'profile_status_change,document_upload', '--status', 'Approved'],
      streams,
    );
    await until(() => err.join('').includes('following the local bus'), 'the tail to start');
    await send('profile_create', 1);
    await send('profile_status_change', 2); // REJECTED: filtered out by --status
    await send('profile_status_change', 1); // APPROVED
    await send('document_upload', 1);
    expect(await tailing).toBe(0);
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.map((l) => [l.detailType, l.status])).toEqual([
      ['profile_status_change', 'APPROVED'],
      ['document_upload', 'APPROVED'],
    ]);
    expect(lines[0]).toMatchObject({ source: 'amani', metadata: { version: '1', authMode: 'signature', tokenGeneration: 'current' } });
    expect(out.join('')).not.toMatch(/first_name|last_name|birth_date|id_card_number|Müller|Yılmaz/);
    expect(err.join('')).toMatch(/2 events shown/);
  });

  it('--with-data shows the payload too; a human line names the event, its delivery id and status', async () => {
    const { out, err, io: streams } = io();
    const tailing = run(['tail', '--data-dir', dataDir, '--max', '1', '--with-data'], streams);
    await until(() => err.join('').includes('following'), 'the tail to start');
    await send('profile_status_change', 1);
    expect(await tailing).toBe(0);
    expect(out.join('')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}profile_status_change +deliveryId=[0-9a-f]{16} {2}status=APPROVED {2}signature\/raw token=current\n {2}\{"event":"profile_status_change"/,
    );
  });

  it('refuses bad options before looking for a target', async () => {
    const { err, io: streams } = io();
    expect(await run(['tail', '--data-dir', dataDir, '--event', 'profile status'], streams)).toBe(2);
    expect(await run(['tail', '--data-dir', dataDir, '--max', '0'], streams)).toBe(2);
    expect(err.join('')).toMatch(/is not an event name[\s\S]*--max must be a positive whole number/);
  });
});

describe('tail on a deployed stage (emulated EventBridge and SQS, the stack found through its outputs)', () => {
  let emulator: AwsEmulator;
  const cloudFormation = mockClient(CloudFormationClient);
  const saved = { ...process.env };

  beforeAll(async () => {
    emulator = await startAwsEmulator();
    process.env.AWS_ENDPOINT_URL = emulator.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
  });
  afterEach(() => emulator.clearFaults());
  afterAll(async () => {
    cloudFormation.restore();
    process.env = saved;
    await emulator.close();
  });
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'AmaniWebhooks-prod',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });

  const publish = (detailType: string) =>
    new EventBridgeClient({ endpoint: emulator.endpoint, region: 'eu-west-1' }).send(
      new PutEventsCommand({
        Entries: [{ Source: 'amani', DetailType: detailType, EventBusName: BUS, Detail: JSON.stringify(detailOf(detailType)) }],
      }),
    );
  const queueExists = (name: string) =>
    new SQSClient({ endpoint: emulator.endpoint, region: 'eu-west-1' }).send(new GetQueueUrlCommand({ QueueName: name })).then(
      () => true,
      (error: Error) => (error.name === 'QueueDoesNotExist' ? false : Promise.reject(error)),
    );

  it('creates a rule and a queue only it may send to, shows the matching events, and deletes both', async () => {
    const { out, err, io: streams } = io();
    const tailing = run(
      ['tail', '--stage', 'prod', '--region', 'eu-west-1', '--json', '--max', '1', '--event', 'document_upload'],
      streams,
    );
    await until(() => emulator.rules.rules().some((r) => r.targets.size > 0), 'the rule and its target');
    const [rule] = emulator.rules.rules();
    expect(rule!.name).toMatch(/^amani-webhooks-tail-[0-9a-f]{8}$/);
    expect(rule!.eventBusName).toBe(BUS);
    expect(rule!.pattern).toEqual({ source: ['amani'], 'detail-type': ['document_upload'] });
    await publish('profile_create');
    await publish('document_upload');
    expect(await tailing).toBe(0);
    const [line, ...more] = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(more).toEqual([]);
    expect(line).toMatchObject({ detailType: 'document_upload', metadata: { deliveryId: 'dlv-document_upload' } });
    expect(emulator.rules.failedInvocations.count).toBe(0);
    expect(emulator.rules.rules()).toEqual([]);
    expect(await queueExists(rule!.name)).toBe(false);
    expect(err.join('')).toMatch(/deleted the temporary rule and queue amani-webhooks-tail-/);
  });

  it('an AWS error while setting up: what was created is deleted, exit 1 with the cause', async () => {
    emulator.injectFault('PutTargets', { kind: 'access-denied' });
    const { out, err, io: streams } = io();
    expect(await run(['tail', '--stage', 'prod', '--region', 'eu-west-1', '--json'], streams)).toBe(1);
    expect(JSON.parse(out.join(''))).toMatchObject({
      ok: false,
      error: { kind: 'failed', message: expect.stringMatching(/access denied/i) },
    });
    expect(err.join('')).toMatch(/deleted the temporary rule and queue/);
    expect(emulator.rules.rules()).toEqual([]);
  });

  it('what cannot be deleted is named, so it can be deleted by hand', async () => {
    emulator.injectFault('DeleteQueue', { kind: 'access-denied' });
    const { err, io: streams } = io();
    const tailing = run(['tail', '--stage', 'prod', '--region', 'eu-west-1', '--max', '1'], streams);
    await until(() => emulator.rules.rules().some((r) => r.targets.size > 0), 'the rule and its target');
    const name = emulator.rules.rules()[0]!.name;
    await publish('profile_update');
    expect(await tailing).toBe(1);
    expect(await queueExists(name)).toBe(true);
    expect(err.join('')).toMatch(/could not delete the queue .*amani-webhooks-tail-[0-9a-f]{8}.*delete by hand/);
    expect(emulator.rules.rules()).toEqual([]);
  });

  it('Ctrl-C (SIGINT to the CLI process) stops it, and the rule and queue are deleted before it exits 0', async () => {
    const stub = await cloudFormationStub(OUTPUTS);
    try {
      const child = spawn(
        process.execPath,
        [join(REPO, 'bin/amani-webhooks.mjs'), 'tail', '--stage', 'prod', '--region', 'eu-west-1', '--json'],
        {
          cwd: REPO,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: tmpdir(),
            AWS_ENDPOINT_URL: emulator.endpoint,
            AWS_ENDPOINT_URL_CLOUDFORMATION: stub.url,
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
            AWS_EC2_METADATA_DISABLED: 'true',
          },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      await until(() => stderr.includes('Ctrl-C stops'), 'the child to start following', 20_000);
      const name = emulator.rules.rules()[0]!.name;
      await publish('profile_status_change');
      await until(() => stdout.includes('profile_status_change'), 'the event on stdout');
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/stopping\.\.\.[\s\S]*deleted the temporary rule and queue[\s\S]*1 event shown/);
      expect(emulator.rules.rules()).toEqual([]);
      expect(await queueExists(name)).toBe(false);
      expect(JSON.parse(stdout.trim())).toMatchObject({ detailType: 'profile_status_change' });
    } finally {
      await stub.close();
    }
  }, 40_000);
});

/** A product event's detail, valid against the published schema. */
function detailOf(detailType: string) {
  const event = productEvent(detailType, { event: detailType, profile: { id: 'p-1', status: 'APPROVED' } });
  expect(publishedSchemaProblems(event)).toEqual([]);
  return event.detail;
}

/** CloudFormation's DescribeStacks (query protocol) on 127.0.0.1, answering the stack with `outputs`. */
async function cloudFormationStub(outputs: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const members = Object.entries(outputs)
    .map(([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`)
    .join('');
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(
        `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
          `<StackName>AmaniWebhooks-prod</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>` +
          `<Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></DescribeStacksResponse>`,
      );
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) };
}
