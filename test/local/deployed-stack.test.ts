/**
 * `npm start -- --stage <stage>` and the CLI's `--stage`: the deployed stack is found through its
 * CloudFormation outputs, and the same receiver code runs on that stack's (here: mocked) AWS
 * services. The SDK clients are real; aws-sdk-client-mock answers at the client level.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT, run } from '../../cli/main';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import { startDeployedStackEndpoint } from '../../local/local-stack';

const OUTPUTS = {
  WebhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/webhook',
  EventBusName: 'amani-webhooks-prod',
  TokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf',
  CredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds-AbCdEf',
  FallbackQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fallback',
  RotatorFunctionName: 'AmaniWebhooks-prod-Rotator',
  AmaniBaseUrl: 'https://eu.amani.ai',
  AuthMode: 'signature',
};
const TOKEN = 'deployed-stack-token';

const cloudFormation = mockClient(CloudFormationClient);
const secretsManager = mockClient(SecretsManagerClient);
const eventBridge = mockClient(EventBridgeClient);
const lambda = mockClient(LambdaClient);
let dataDir: string;

beforeAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  dataDir = mkdtempSync(join(tmpdir(), 'amani-stage-'));
});
afterEach(() => {
  for (const mock of [cloudFormation, secretsManager, eventBridge, lambda]) mock.reset();
});
afterAll(() => {
  for (const mock of [cloudFormation, secretsManager, eventBridge, lambda]) mock.restore();
});

function stackWith(outputs: Record<string, string>) {
  cloudFormation.on(DescribeStacksCommand, { StackName: 'AmaniWebhooks-prod' }).resolves({
    Stacks: [
      {
        StackName: 'AmaniWebhooks-prod',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

describe('local endpoint on a deployed stack', () => {
  it("verifies with the stack's token secret and publishes to the stack's bus", async () => {
    stackWith(OUTPUTS);
    secretsManager
      .on(GetSecretValueCommand, { SecretId: OUTPUTS.TokenSecretArn })
      .resolves({ SecretString: JSON.stringify({ token: TOKEN }) });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const endpoint = await startDeployedStackEndpoint({
      stage: 'prod',
      region: 'eu-west-1',
      dataDir,
      cloudFormation: new CloudFormationClient({ region: 'eu-west-1' }),
    });
    try {
      expect(endpoint.runtime).toMatchObject({
        eventBusName: OUTPUTS.EventBusName,
        awsEndpoint: '',
        stack: { name: 'AmaniWebhooks-prod' },
      });
      const delivery = prepareDelivery({ payload: samplePayload('profile_create'), token: TOKEN, authMode: 'signature' });
      expect((await sendDelivery(endpoint.runtime.receiverUrl, delivery)).status).toBe(200);
      const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ EventBusName: OUTPUTS.EventBusName, DetailType: 'profile_create', Source: 'amani' });
      const forged = prepareDelivery({ payload: samplePayload('profile_create'), token: 'wrong', authMode: 'signature' });
      expect((await sendDelivery(endpoint.runtime.receiverUrl, forged)).status).toBe(401);

      // With that endpoint running, the CLI's rotate goes to the deployed rotator, never runs locally.
      lambda.on(InvokeCommand).resolves({
        StatusCode: 200,
        Payload: Buffer.from(
          JSON.stringify({ action: 'rotate', outcome: 'rotated', reconciled: false, rotatedAt: '2026-11-30T10:00:00.000Z' }),
        ) as never,
      });
      let out = '';
      const code = await run(['rotate', '--force', '--json', '--data-dir', dataDir], { out: (t) => (out += t), err: () => undefined });
      expect(code).toBe(EXIT.ok);
      expect(JSON.parse(out)).toMatchObject({ outcome: 'rotated' });
      const invoked = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
      expect(invoked.FunctionName).toBe(OUTPUTS.RotatorFunctionName);
      expect(JSON.parse(Buffer.from(invoked.Payload as Uint8Array).toString())).toEqual({ action: 'rotate', force: true });
    } finally {
      await endpoint.close();
    }
  });
});

describe('CLI --stage', () => {
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await run([...args, '--region', 'eu-west-1'], { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  };

  it('says how to deploy when the stack does not exist (exit 3)', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id AmaniWebhooks-nope does not exist'), { name: 'ValidationError' }));
    const result = await cli('status', '--stage', 'nope');
    expect(result.code).toBe(EXIT.targetNotFound);
    expect(result.err).toMatch(/AmaniWebhooks-nope does not exist.*cdk deploy -c stage=nope/);
  });

  it('names the outputs an older stack lacks (exit 3)', async () => {
    const { AmaniBaseUrl: _a, AuthMode: _b, ...older } = OUTPUTS;
    stackWith(older);
    const result = await cli('status', '--stage', 'prod');
    expect(result.code).toBe(EXIT.targetNotFound);
    expect(result.err).toMatch(/lacks the outputs AmaniBaseUrl, AuthMode/);
  });

  it('reports a failed deployed rotation with exit 1 and the function error message', async () => {
    stackWith(OUTPUTS);
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Buffer.from(
        JSON.stringify({
          errorType: 'RotationError',
          errorMessage: 'Token rotation failed at rotate-token: Amani PATCH /api/v2/webhook/token failed: HTTP 403',
        }),
      ) as never,
    });
    const result = await cli('rotate', '--stage', 'prod');
    expect(result.code).toBe(EXIT.failed);
    expect(result.err).toMatch(/rotate failed: the rotator failed: Token rotation failed at rotate-token/);
  });
});
