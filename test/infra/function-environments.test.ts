/**
 * The contract between the stack and its functions: every function environment in the
 * synthesized template, with CloudFormation's references resolved as a deployment would resolve
 * them, is parsed by that function's own environment schema (lambda/<function>/env.ts), and the
 * configuration it yields is the one the context asked for.
 */
import { describe, expect, test } from '@jest/globals';
import { ROTATOR_SERVICE, RECEIVER_SERVICE } from '../../infra/constructs/monitoring';
import { loadReceiverConfig, receiverVariables } from '../../lambda/receiver/env';
import { loadRegistrationConfig, REGISTRATION_DEFAULTS, registrationVariables } from '../../lambda/registration/env';
import { loadRotatorConfig, rotatorVariables } from '../../lambda/rotator/env';
import { logicalId, resolveIntrinsics, resolvedEnvironment, resources, synthesize } from './stack-harness';

/** Set for every function by infra/constructs/lambda-function.ts and read by Node itself, not by the function. */
const PLATFORM_VARIABLES = ['NODE_OPTIONS'];

const FUNCTIONS = [
  { name: 'receiver', prefix: 'ReceiverFunction', variables: receiverVariables as { shape: object }, load: loadReceiverConfig },
  { name: 'rotator', prefix: 'RotationRotatorFunction', variables: rotatorVariables as { shape: object }, load: loadRotatorConfig },
  {
    name: 'registration',
    prefix: 'AmaniRegistrationHandlerFunction',
    variables: registrationVariables as { shape: object },
    load: loadRegistrationConfig,
  },
] as const;

const ALARM_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';

describe.each([
  ['the default stage (cdk.json)', {}],
  [
    'a production stage',
    { stage: 'prod', alarmTopicArn: ALARM_TOPIC, logLevel: 'debug', amaniBaseUrl: 'https://ae.amani.ai/', dedupWindowHours: '72' },
  ],
  [
    'token auth mode with custom names',
    {
      authMode: 'token',
      tokenHeader: 'X-Amani-Token',
      eventSource: 'kyc.amani',
      eventNamePaths: 'event,data.event',
      deliveryIdPaths: '[]',
      previousTokenGraceMinutes: 15,
      rotationSchedule: 'rate(20 minutes)',
      secretCacheTtlSeconds: 30,
      events: 'profile_status_change,document_status_change',
      disableEventsOnDelete: 'false',
      credentialsSecret: 'amani/dev/api-credentials',
      metricsNamespace: 'Kyc/Webhooks',
    },
  ],
])('%s', (_name, context) => {
  const { stack, template, config } = synthesize(context);
  const all = resources(template);
  const environment = (prefix: string) =>
    resolvedEnvironment(template, logicalId(template, 'AWS::Lambda::Function', prefix), stack.stackName);
  // Parsed inside each test, so that an environment that does not parse fails the tests that name it.
  const parsed = {
    get receiver() {
      return loadReceiverConfig(environment('ReceiverFunction'));
    },
    get rotator() {
      return loadRotatorConfig(environment('RotationRotatorFunction'));
    },
    get registration() {
      return loadRegistrationConfig(environment('AmaniRegistrationHandlerFunction'));
    },
  };

  test("the product's functions are exactly the three with an environment declaration", () => {
    const ours = Object.entries(all)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties?.Handler === 'index.handler')
      .map(([id]) => id)
      .sort();
    expect(ours).toEqual(FUNCTIONS.map(({ prefix }) => logicalId(template, 'AWS::Lambda::Function', prefix)).sort());
  });

  test.each(FUNCTIONS)(
    '$name: every variable the stack sets is one its schema declares, and the whole environment parses',
    ({ prefix, variables, load }) => {
      const env = environment(prefix);
      const declared = [...Object.keys(variables.shape), ...PLATFORM_VARIABLES];
      expect(Object.keys(env).filter((name) => !declared.includes(name))).toEqual([]);
      expect(() => load(env)).not.toThrow();
    },
  );

  test('the receiver gets what the context asked for', () => {
    expect(parsed.receiver).toMatchObject({
      authMode: config.authMode,
      signatureHeader: config.signatureHeader,
      tokenHeader: config.tokenHeader,
      eventSource: config.eventSource,
      secretCacheTtlMs: config.secretCacheTtlSeconds * 1000,
      ...(config.eventNamePaths ? { eventNamePaths: config.eventNamePaths } : {}),
      ...(config.deliveryIdPaths ? { deliveryIdPaths: config.deliveryIdPaths } : {}),
      observability: { serviceName: RECEIVER_SERVICE, metricsNamespace: config.metricsNamespace, logLevel: config.logLevel },
    });
    expect(parsed.receiver.tokenSecretId).toMatch(/^arn:aws:secretsmanager:/);
    // The ledger table this stack created, and the window the context asked for.
    expect(parsed.receiver.dedupTableName).toBe(logicalId(template, 'AWS::DynamoDB::Table', 'DeliveriesTable'));
    expect(parsed.receiver.dedupWindowHours).toBe(config.dedupWindowHours);
    // Its timeout covers both budgets and stays below API Gateway's 29 s integration timeout.
    const timeoutMs = (all[logicalId(template, 'AWS::Lambda::Function', 'ReceiverFunction')]!.Properties!.Timeout as number) * 1000;
    const { publishBudgetMs, fallbackBudgetMs, dedupBudgetMs } = parsed.receiver;
    // Waiting for a concurrent copy (one publish budget), publishing, parking, claiming and settling.
    expect(timeoutMs).toBeGreaterThan(2 * publishBudgetMs + fallbackBudgetMs + 2 * dedupBudgetMs);
    expect(timeoutMs).toBeLessThan(29_000);
  });

  test('the rotator gets what the context asked for, and the stack it belongs to', () => {
    expect(parsed.rotator).toMatchObject({
      amaniBaseUrl: config.amaniBaseUrl,
      previousTokenGraceMs: config.previousTokenGraceMinutes * 60_000,
      // Duplicate scheduled runs are suppressed within an hour, or half the interval of a short schedule.
      minRotationAgeMs: Math.min(60, (config.rotationIntervalHours * 60) / 2) * 60_000,
      stack: { stackName: stack.stackName, stackId: expect.stringContaining(`:stack/${stack.stackName}/`) },
      observability: { serviceName: ROTATOR_SERVICE, metricsNamespace: config.metricsNamespace, logLevel: config.logLevel },
    });
  });

  test('the registration gets what the context asked for, the same values as its custom resource, and the rotator to sync', () => {
    const registration = parsed.registration;
    expect(registration).toMatchObject({
      amaniBaseUrl: config.amaniBaseUrl,
      signatureEnabled: config.authMode === 'signature',
      enabledEvents: config.events,
      disableEventsOnDelete: config.disableEventsOnDelete,
      webhookUrl: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/webhook',
      stack: { stackName: stack.stackName },
      observability: {
        serviceName: REGISTRATION_DEFAULTS.serviceName,
        metricsNamespace: config.metricsNamespace,
        logLevel: config.logLevel,
      },
    });
    expect(registration.rotatorFunctionName).toBe(logicalId(template, 'AWS::Lambda::Function', 'RotationRotatorFunction'));
    expect(registration.credentialsSecretId).toBe(parsed.rotator.credentialsSecretId);
    // The custom resource's properties carry the same values, so that changing one re-runs the registration.
    const resource = all[logicalId(template, 'Custom::AmaniWebhookRegistration', 'AmaniRegistration')]!.Properties!;
    const registrationEnv = environment('AmaniRegistrationHandlerFunction');
    const property = (name: string) => resolveIntrinsics(template, resource[name], stack.stackName);
    expect([
      property('WebhookUrl'),
      property('AmaniBaseUrl'),
      property('SignatureEnabled'),
      property('EnabledEvents'),
      property('DisableEventsOnDelete'),
    ]).toEqual([
      registrationEnv.WEBHOOK_URL,
      registrationEnv.AMANI_BASE_URL,
      registrationEnv.SIGNATURE_ENABLED,
      registrationEnv.ENABLED_EVENTS,
      registrationEnv.DISABLE_EVENTS_ON_DELETE,
    ]);
  });
});
