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
export function buildTestApp(overrides: Record<string, unknown> = {}, options: { bundle?: boolean; outdir?: string } = {}): Omit<Synthesized, 'template'> {
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
  if (!role || role.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  const documents: { Statement: Record<string, unknown>[] }[] = [];
  for (const inline of asArray(role.Properties?.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[] | undefined)) {
    documents.push(inline.PolicyDocument);
  }
  for (const resource of Object.values(all)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = asArray(resource.Properties?.Roles as { Ref?: string }[] | undefined);
    if (roles.some((ref) => ref.Ref === roleLogicalId)) documents.push(resource.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] });
  }
  const statements = documents.flatMap((document) =>
    document.Statement.map((statement) => ({
      actions: asArray(statement.Action as string | string[]).slice().sort(),
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
export const ref = (id: string) => ({ Ref: id });
