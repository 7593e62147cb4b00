/**
 * cdk-nag AwsSolutionsChecks run by synthesis itself (registered on the app by infra/build-app.ts):
 * a fresh synthesis of each configuration passes; every acknowledgement has a concrete reason and
 * is load-bearing (a copy of the app without it fails to synthesise, naming the rule); a finding
 * nobody acknowledged fails synthesis.
 */
import { afterEach, describe, expect, jest, test } from '@jest/globals';
import { Validations, type App } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildTestApp } from './stack-harness';

interface Acknowledgement {
  readonly rule: string;
  readonly path: string;
  readonly reason: string;
}

function acknowledgements(app: App): Acknowledgement[] {
  return app.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([rule, reason]) => ({
          rule: rule.replace(/^annotation::/i, ''),
          path: construct.node.path,
          reason: typeof reason === 'string' ? reason : JSON.stringify(reason),
        })),
      ),
  );
}

/** The app built as `cdk synth` builds it, except that `dropped` is never acknowledged. */
function buildWithout(context: Record<string, unknown>, dropped: Acknowledgement): App {
  const acknowledge = Validations.prototype.acknowledge;
  const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (this: Validations, ...rules) {
    const scope = (this as unknown as { scope: IConstruct }).scope;
    const kept = scope.node.path === dropped.path ? rules.filter((rule) => rule.id !== dropped.rule) : rules;
    if (kept.length > 0) acknowledge.apply(this, kept);
  });
  try {
    return buildTestApp(context).app;
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe.each([
  ['default configuration', {}],
  [
    'every option on',
    {
      tracing: true,
      credentialsSecret: 'amani/prod/api-credentials',
      credentialsSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      noTrafficAlarmHours: 24,
      webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/amani/abc',
      apiGatewayCloudWatchRole: false,
      authMode: 'token',
    },
  ],
  [
    'production REST stage: its web ACL, a source allowlist, a custom domain with its DNS record',
    {
      stage: 'prod',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
      allowedSourceCidrs: '203.0.113.0/24',
      domainName: 'webhooks.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
    },
  ],
  [
    'HTTP API with a custom domain',
    {
      api: 'http',
      domainName: 'webhooks.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab',
      receiverReservedConcurrency: 0,
    },
  ],
])('cdk-nag AwsSolutionsChecks, %s', (_name, context) => {
  test('a fresh synthesis runs the checks and passes', () => {
    const { app } = buildTestApp(context);
    expect(() => app.synth()).not.toThrow();
  });

  test('no unacknowledged finding (the checks run on their own over the same tree)', () => {
    const { app } = buildTestApp(context);
    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((violation) =>
        violation.violatingResources.map((resource) => `${violation.ruleName} @ ${resource.constructPath ?? ''}`),
      );
    expect(findings).toEqual([]);
  });

  test('every acknowledgement has a concrete reason, and without it a fresh synthesis fails on that rule', () => {
    const all = acknowledgements(buildTestApp(context).app);
    expect(all.length).toBeGreaterThan(3);
    for (const acknowledgement of all) {
      expect({
        acknowledgement: `${acknowledgement.rule} @ ${acknowledgement.path}`,
        reasonLength: acknowledgement.reason.length > 80,
      }).toEqual({
        acknowledgement: `${acknowledgement.rule} @ ${acknowledgement.path}`,
        reasonLength: true,
      });
      const app = buildWithout(context, acknowledgement);
      expect(acknowledgements(app)).toHaveLength(all.length - 1);
      let failure = '';
      try {
        app.synth();
      } catch (error) {
        failure = (error as Error).message;
      }
      // The report names the rule and the resource at or below the acknowledging construct.
      expect({
        acknowledgement: `${acknowledgement.rule} @ ${acknowledgement.path}`,
        failsNamingIt: failure.includes(acknowledgement.rule.split('[')[0]!) && failure.includes(acknowledgement.path),
      }).toEqual({
        acknowledgement: `${acknowledgement.rule} @ ${acknowledgement.path}`,
        failsNamingIt: true,
      });
    }
  });
});

test('a finding nobody acknowledged, in a test-only construct, fails a fresh synthesis', () => {
  const { app, stack } = buildTestApp();
  const role = new Role(stack, 'Probe', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
  expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
});
