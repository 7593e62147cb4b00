/**
 * Builds the real app (infra/build-app.ts: context validation, the stack, cdk-nag) for tests.
 *
 * Fast by default: CDK's built-in CloudFormation validation is off (CDK_VALIDATION=false) and no
 * stack is bundled ('aws:cdk:bundling-stacks': []); only test/infra/bundling.test.ts bundles.
 * cdk.json's context is not applied to `new App()`, so it is read here and passed explicitly:
 * the tests see the same defaults as `cdk synth`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app';
import type { AppConfig } from '../../infra/config';

process.env.CDK_VALIDATION = 'false';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** The `context` block of cdk.json, minus CLI-only keys. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const { 'cli-telemetry': _telemetry, ...context } = cdkJson.context;
  return context;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly config: AppConfig;
  readonly template: Template;
}

/** The app and its stack, not synthesised yet (tests may still add to the tree). */
export function buildTestApp(
  overrides: Record<string, unknown> = {},
  options: { bundle?: boolean; outdir?: string } = {},
): Omit<Synthesized, 'template'> {
  const app = new App({
    context: { ...cdkJsonContext(), ...overrides, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const { stack, config } = buildApp(app);
  return { app, stack, config };
}

export function synthesize(overrides: Record<string, unknown> = {}, options: { bundle?: boolean; outdir?: string } = {}): Synthesized {
  const built = buildTestApp(overrides, options);
  return { ...built, template: Template.fromStack(built.stack) };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] }>;

export function resources(template: Template): Resources {
  return template.toJSON().Resources as Resources;
}

/** Logical id of the one resource of `type` whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.entries(resources(template))
    .filter(([id, resource]) => resource.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(', ') || 'none'}`);
  return ids[0]!;
}

/** Logical ids of the stack's main resources, as both the stack and least-privilege suites name them. */
export function stackResourceIds(template: Template) {
  return {
    api: logicalId(template, 'AWS::ApiGateway::RestApi', 'WebhookApi'),
    receiver: logicalId(template, 'AWS::Lambda::Function', 'ReceiverFunction'),
    rotator: logicalId(template, 'AWS::Lambda::Function', 'RotationRotatorFunction'),
    registration: logicalId(template, 'AWS::Lambda::Function', 'AmaniRegistrationHandlerFunction'),
    key: logicalId(template, 'AWS::KMS::Key', 'EncryptionKey'),
    tokenSecret: logicalId(template, 'AWS::SecretsManager::Secret', 'SecretsWebhookToken'),
    credentials: logicalId(template, 'AWS::SecretsManager::Secret', 'SecretsAmaniCredentials'),
    bus: logicalId(template, 'AWS::Events::EventBus', 'EventsBus'),
    fallback: logicalId(template, 'AWS::SQS::Queue', 'FallbackQueue'),
    ledger: logicalId(template, 'AWS::DynamoDB::Table', 'DeliveriesTable'),
    ledgerReadPolicy: logicalId(template, 'AWS::IAM::ManagedPolicy', 'DeliveriesReadPolicy'),
    failures: logicalId(template, 'AWS::SQS::Queue', 'RotationFailureQueue'),
    registrationResource: logicalId(template, 'Custom::AmaniWebhookRegistration', 'AmaniRegistration'),
  };
}

export interface NormalisedStatement {
  readonly actions: string[];
  readonly resources: unknown[];
  readonly condition?: unknown;
  readonly effect: string;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Every statement granted to a role: inline policies, attached AWS::IAM::Policy resources, managed policies. */
export function roleGrants(template: Template, roleLogicalId: string): { statements: NormalisedStatement[]; managedPolicies: unknown[] } {
  const all = resources(template);
  const role = all[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  const documents: { Statement: Record<string, unknown>[] }[] = [];
  for (const inline of asArray(role.Properties?.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[] | undefined)) {
    documents.push(inline.PolicyDocument);
  }
  for (const resource of Object.values(all)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = asArray(resource.Properties?.Roles as { Ref?: string }[] | undefined);
    if (roles.some((ref) => ref.Ref === roleLogicalId))
      documents.push(resource.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] });
  }
  const statements = documents.flatMap((document) =>
    document.Statement.map((statement) => ({
      actions: asArray(statement.Action as string | string[])
        .slice()
        .sort(),
      resources: asArray(statement.Resource),
      ...(statement.Condition ? { condition: statement.Condition } : {}),
      effect: statement.Effect as string,
    })),
  );
  return { statements, managedPolicies: asArray(role.Properties?.ManagedPolicyArns) };
}

/** The role a function runs with. */
export function functionRole(template: Template, functionLogicalId: string): string {
  const fn = resources(template)[functionLogicalId];
  const role = fn?.Properties?.Role as { 'Fn::GetAtt': [string, string] } | undefined;
  if (!role) throw new Error(`${functionLogicalId} has no role`);
  return role['Fn::GetAtt'][0];
}

export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

/** An ARN of this stack's account and region as CDK writes it (`Stack.formatArn`), e.g. `regionalArn('events', 'event-bus/x')`. */
export const regionalArn = (service: string, resource: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`],
  ],
});
export const ref = (id: string) => ({ Ref: id });

/** Sample values of CloudFormation's pseudo parameters, as a deployment would resolve them. */
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::NoValue': '',
};

/**
 * Resolves a template value as CloudFormation would at deploy time, with plausible values for
 * each resource's `Ref` and `Fn::GetAtt` (a queue's Ref is its URL, a secret's its ARN, ...). An
 * intrinsic or resource type it does not know is an error, never a guess.
 */
export function resolveIntrinsics(template: Template, value: unknown, stackName: string): string {
  const all = resources(template);
  const stackId = `arn:aws:cloudformation:eu-west-1:123456789012:stack/${stackName}/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`;
  const resolve = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (typeof node === 'number' || typeof node === 'boolean') return String(node);
    const object = node as Record<string, unknown>;
    if ('Ref' in object) {
      const name = String(object.Ref);
      if (name === 'AWS::StackName') return stackName;
      if (name === 'AWS::StackId') return stackId;
      if (name in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[name]!;
      return refOf(name, all[name]?.Type);
    }
    if ('Fn::GetAtt' in object) {
      const [id, attribute] = object['Fn::GetAtt'] as [string, string];
      const type = all[id]?.Type;
      if (attribute === 'Arn' && type === 'AWS::Lambda::Function') return `arn:aws:lambda:eu-west-1:123456789012:function:${id}`;
      if (attribute === 'Arn') return `arn:aws:${String(type).split('::')[1]!.toLowerCase()}:eu-west-1:123456789012:${id}`;
      if (attribute === 'Name') return id;
      throw new Error(`resolveIntrinsics: Fn::GetAtt ${id}.${attribute} (${type}) is not known`);
    }
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    throw new Error(`resolveIntrinsics: ${JSON.stringify(node)} is not known`);
  };
  return resolve(value);
}

function refOf(id: string, type: string | undefined): string {
  switch (type) {
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`;
    case 'AWS::SQS::Queue':
      return `https://sqs.eu-west-1.amazonaws.com/123456789012/${id}`;
    case 'AWS::Events::EventBus':
    case 'AWS::DynamoDB::Table':
    case 'AWS::Lambda::Function':
    case 'AWS::KMS::Key':
      return id;
    case 'AWS::ApiGateway::RestApi':
      return 'a1b2c3d4e5';
    case 'AWS::ApiGateway::Stage':
      return 'v1';
    default:
      throw new Error(`resolveIntrinsics: Ref of ${id} (${type ?? 'not a resource'}) is not known`);
  }
}

/** A function's environment variables with every intrinsic resolved (see `resolveIntrinsics`). */
export function resolvedEnvironment(template: Template, functionLogicalId: string, stackName: string): Record<string, string> {
  const variables =
    (resources(template)[functionLogicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {};
  return Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, resolveIntrinsics(template, value, stackName)]));
}
