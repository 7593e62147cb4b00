/**
 * Counts the billable resources of a stage from its synthesized template, so the fixed monthly
 * cost in docs/cost.md follows the stack as it changes: the real app (infra/build-app.ts: context
 * validation, the stack, cdk-nag) synthesized in process with cdk.json's context plus the stage's,
 * without bundling the functions (the template's resources do not depend on the bundles).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../infra/build-app';
import { parseRotationSchedule } from '../infra/config';
import type { AuthFailureReason } from '../lambda/core/webhook-auth';
import type { RejectionReason } from '../lambda/receiver/receive-delivery';
import type { StageResources } from './cost';

const REPO_ROOT = resolve(__dirname, '..');

/** Every value of the receiver's `Reason` dimension on `DeliveryRejected` (the type check below keeps it complete). */
export const REJECTION_REASONS = [
  'missing-credential',
  'malformed-credential',
  'ambiguous-credential',
  'bad-credential',
  'expired-token',
  'no-token-configured',
  'body-too-large',
  'invalid-encoding',
  'not-json-object',
  'event-too-large',
] as const satisfies readonly RejectionReason[];
type MissingReason = Exclude<RejectionReason | AuthFailureReason, (typeof REJECTION_REASONS)[number]>;
const everyReasonListed: [MissingReason] extends [never] ? true : MissingReason = true;
void everyReasonListed;

/**
 * The custom metrics the functions emit via EMF, one entry per metric name and dimension set
 * (every set includes `service`; Powertools' `ColdStart` adds `function_name`). `steady`: emitted
 * in (nearly) every hour of normal operation, so billed all month; the rest only in the hours
 * something happens (CloudWatch prorates custom metrics by the hour). A test keeps the names equal
 * to what lambda/ emits.
 */
export const EMITTED_METRICS: readonly {
  readonly service: string;
  readonly name: string;
  readonly dimensions: number;
  readonly steady: boolean;
}[] = [
  // Receiver: every hour with traffic.
  ...['DeliveryAccepted', 'DeliveryLatency', 'SecretRefreshes', 'ColdStart'].map((name) => ({
    service: 'receiver',
    name,
    dimensions: 1,
    steady: true,
  })),
  ...[
    'AuthenticationFailed',
    'DeliveryFailed',
    'PublishFailed',
    'FallbackUsed',
    'PublishRetries',
    'SecretStaleServed',
    'PreviousTokenUsed',
    'DuplicateSuppressed',
    'DedupUnchecked',
    'LedgerWriteFailed',
  ].map((name) => ({ service: 'receiver', name, dimensions: 1, steady: false })),
  { service: 'receiver', name: 'DeliveryRejected', dimensions: REJECTION_REASONS.length, steady: false },
  // Rotator: the 15-minute sync succeeds and reports the token age; with 15 minutes between runs most are cold.
  ...['RotationSucceeded', 'TokenAgeHours', 'ColdStart'].map((name) => ({ service: 'rotator', name, dimensions: 1, steady: true })),
  ...[
    'RotationFailed',
    'TokenRotated',
    'Reconciled',
    'TokenChangedElsewhere',
    'Bootstrapped',
    'RotationSkipped',
    'RotationAmbiguous',
    'SecretStoreRetries',
  ].map((name) => ({ service: 'rotator', name, dimensions: 1, steady: false })),
  // Registration: once per deploy.
  ...[
    'WebhookRegistered',
    'WebhookNotRegistered',
    'WebhookEventsDisabled',
    'WebhookLeftAsIs',
    'WebhookDisableFailed',
    'RegistrationFailed',
  ].map((name) => ({ service: 'registration', name, dimensions: 1, steady: false })),
];

export function customMetricCounts(): { steady: number; onEvent: number } {
  const count = (steady: boolean) =>
    EMITTED_METRICS.filter((metric) => metric.steady === steady).reduce((sum, metric) => sum + metric.dimensions, 0);
  return { steady: count(true), onEvent: count(false) };
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

/** The stack's template, synthesized in process from cdk.json's context and `context` (strings, as `-c` gives them). */
export function synthesizeStage(context: Readonly<Record<string, string>>): CfnTemplate {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const { 'cli-telemetry': _telemetry, ...defaults } = cdkJson.context;
  const outdir = mkdtempSync(join(tmpdir(), 'amani-cost-synth-'));
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({ context: { ...defaults, ...context, 'aws:cdk:bundling-stacks': [] }, outdir });
    const { stack } = buildApp(app);
    return app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Runs a 30-day month of a Scheduler expression: exact for rate(), an upper bound's inverse for cron() (at least this many). */
export function runsPerMonth(expression: string): number {
  const parsed = parseRotationSchedule(expression);
  if (typeof parsed === 'string') throw new Error(`schedule ${expression}: ${parsed}`);
  return (30 * 24) / parsed.intervalHours;
}

function ofType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function onlyOne(template: CfnTemplate, type: string, prefix: string): CfnResource {
  const found = ofType(template, type).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} starting with ${prefix}, found ${found.length}`);
  return (found[0] as [string, CfnResource])[1];
}

function environmentNumber(fn: CfnResource, name: string): number {
  const value = (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[name];
  if (value === undefined || !/^\d+$/.test(String(value))) throw new Error(`the receiver's ${name} is not a number in the template`);
  return Number(value);
}

/** The billable resources of a synthesized stage. */
export function countStageResources(label: string, context: Readonly<Record<string, string>>, template: CfnTemplate): StageResources {
  const count = (type: string) => ofType(template, type).length;
  const receiver = onlyOne(template, 'AWS::Lambda::Function', 'ReceiverFunction');
  const rotator = onlyOne(template, 'AWS::Lambda::Function', 'RotationRotatorFunction');
  const receiverLogs = onlyOne(template, 'AWS::Logs::LogGroup', 'ReceiverLogs');
  const tables = ofType(template, 'AWS::DynamoDB::Table');
  const archives = ofType(template, 'AWS::Events::Archive');
  const schedules = [...ofType(template, 'AWS::Scheduler::Schedule'), ...ofType(template, 'AWS::Events::Rule')]
    .map(([id, resource]) => ({ id, expression: resource.Properties?.ScheduleExpression }))
    .filter((schedule): schedule is { id: string; expression: string } => typeof schedule.expression === 'string')
    .map(({ id, expression }) => ({ name: id, expression, runsPerMonth: runsPerMonth(expression) }));
  const alarms = ofType(template, 'AWS::CloudWatch::Alarm').map(([id, resource]) => {
    const metrics = resource.Properties?.Metrics as { MetricStat?: unknown }[] | undefined;
    return { name: id, metrics: metrics ? metrics.filter((metric) => metric.MetricStat !== undefined).length : 1 };
  });
  const pitr = tables.some(
    ([, table]) =>
      (table.Properties?.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined)
        ?.PointInTimeRecoveryEnabled === true,
  );
  return {
    label,
    context,
    api: count('AWS::ApiGatewayV2::Api') > 0 ? 'http' : 'rest',
    kmsKeys: count('AWS::KMS::Key'),
    secrets: count('AWS::SecretsManager::Secret'),
    alarms,
    dashboards: count('AWS::CloudWatch::Dashboard'),
    webAcls: count('AWS::WAFv2::WebACL'),
    wafRules: ofType(template, 'AWS::WAFv2::WebACL').reduce(
      (sum, [, acl]) => sum + ((acl.Properties?.Rules as unknown[] | undefined)?.length ?? 0),
      0,
    ),
    schedules,
    hostedZones: count('AWS::Route53::HostedZone'),
    dnsRecords: count('AWS::Route53::RecordSet'),
    schemaRegistries: count('AWS::EventSchemas::Registry'),
    schemas: count('AWS::EventSchemas::Schema'),
    schemaDiscoverers: count('AWS::EventSchemas::Discoverer'),
    ledgerTables: tables.length,
    ledgerPointInTimeRecovery: pitr,
    archives: archives.length,
    archiveRetentionDays: Math.max(0, ...archives.map(([, archive]) => Number(archive.Properties?.RetentionDays ?? 0))),
    logGroups: count('AWS::Logs::LogGroup'),
    receiverLogRetentionDays: Number(receiverLogs.Properties?.RetentionInDays ?? 0),
    rotatorMemoryMb: Number(rotator.Properties?.MemorySize),
    receiverMemoryMb: Number(receiver.Properties?.MemorySize),
    secretCacheTtlSeconds: environmentNumber(receiver, 'SECRET_CACHE_TTL_SECONDS'),
    dedupWindowHours: environmentNumber(receiver, 'DEDUP_WINDOW_HOURS'),
    customMetrics: customMetricCounts(),
  };
}

/** A production stage needs a topic to page; any well-formed ARN synthesizes. */
const PAGER = 'arn:aws:sns:us-east-1:123456789012:amani-webhooks-pager';

/** The stages docs/cost.md shows: production with the REST API (WAF on by default), production with the HTTP API, dev. */
export const COST_STAGES: readonly { readonly label: string; readonly context: Readonly<Record<string, string>> }[] = [
  { label: 'production, REST API + WAF', context: { stage: 'prod', alarmTopicArn: PAGER } },
  { label: 'production, HTTP API', context: { stage: 'prod', alarmTopicArn: PAGER, api: 'http' } },
  { label: 'dev, REST API (cdk.json defaults)', context: {} },
];

/** Synthesizes and counts each stage of COST_STAGES (about a second each). */
export function costStages(): StageResources[] {
  return COST_STAGES.map(({ label, context }) => countStageResources(label, context, synthesizeStage(context)));
}
