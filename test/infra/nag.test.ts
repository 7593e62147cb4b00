/**
 * cdk-nag AwsSolutionsChecks: zero unacknowledged findings, and no acknowledgement that does not
 * answer a real finding (a stale one would silently cover a future problem), each with a reason.
 */
import { describe, expect, test } from '@jest/globals';
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildTestApp, synthesize } from './stack-harness';

interface Finding {
  readonly rule: string;
  readonly path: string;
}

function findings(app: App, honourAcknowledgements: boolean): Finding[] {
  const pack = new AwsSolutionsChecks();
  // cdk-nag 3 checks acknowledgements in a private method; switch it off to list every finding.
  if (!honourAcknowledgements) (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(app).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({ rule: violation.ruleName, path: resource.constructPath ?? '' })),
  );
}

function acknowledgements(app: App): { rule: string; path: string; reason: string }[] {
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
])('cdk-nag AwsSolutionsChecks, %s', (_name, context) => {
  const { app } = synthesize(context);

  test('no unacknowledged finding', () => {
    expect(findings(app, true)).toEqual([]);
  });

  test('every acknowledgement answers a finding on its construct or below, with a concrete reason', () => {
    const all = findings(app, false);
    for (const ack of acknowledgements(app)) {
      const covered = all.filter((finding) => finding.rule === ack.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)));
      expect({ ack: `${ack.rule} @ ${ack.path}`, covers: covered.length > 0 }).toEqual({ ack: `${ack.rule} @ ${ack.path}`, covers: true });
      expect(ack.reason.length).toBeGreaterThan(80);
    }
  });

  test('synthesis runs the checks (registered on the app) without failing', () => {
    expect(() => app.synth()).not.toThrow();
  });
});

test('an unacknowledged finding fails synthesis', () => {
  const { app, stack } = buildTestApp();
  // A wildcard that nothing acknowledges.
  const { Role, ServicePrincipal, PolicyStatement } = require('aws-cdk-lib/aws-iam') as typeof import('aws-cdk-lib/aws-iam');
  const role = new Role(stack, 'Probe', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
  expect(findings(app, true).map((finding) => finding.rule)).toContain('AwsSolutions-IAM5[Resource::*]');
  expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
});
