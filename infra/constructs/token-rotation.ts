import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LogLevel } from '../../lambda/core/validators';
import { ROTATOR_DEFAULTS, toRotatorEnvironment } from '../../lambda/rotator/env';
import { grantAccountClaims } from './account-claims';
import { AppFunction, logicalIdOf } from './lambda-function';
import type { TokenSecrets } from './token-secrets';

/** The rotator's invocation payloads (see lambda/rotator/handler.ts). */
export const ROTATE_PAYLOAD = { action: 'rotate' } as const;
export const SYNC_PAYLOAD = { action: 'sync' } as const;

/**
 * The reconcile run: every 15 minutes, so that whatever leaves the stored token different from
 * Amani's (a rotator that died after Amani's PATCH, Amani or Secrets Manager down during a
 * rotation, a rotation elsewhere) is repaired within 15 minutes plus one run. A run that
 * coincides with a rotation waits for it (reserved concurrency 1). Cost: docs/reliability.md.
 */
export const SYNC_INTERVAL_MINUTES = 15;
export const SYNC_SCHEDULE = `rate(${SYNC_INTERVAL_MINUTES} minutes)`;

/**
 * A scheduled rotation is skipped when the token is younger than this (duplicate or retried
 * scheduler invocations must not rotate twice): an hour, or half the interval for schedules
 * shorter than two hours (test setups), so that those still rotate.
 */
export function minRotationAgeMinutes(rotationIntervalHours: number): number {
  return Math.max(0, Math.min(60, Math.floor((rotationIntervalHours * 60) / 2)));
}

/** Amani calls (login, GET, PATCH, GET, each up to 5 s and retried) plus the store retry budget. */
export const ROTATOR_TIMEOUT = Duration.minutes(2);

export interface TokenRotationProps {
  readonly secrets: TokenSecrets;
  readonly amaniBaseUrl: string;
  readonly rotationSchedule: string;
  readonly previousTokenGraceMinutes: number;
  /** Longest expected gap between scheduled rotations (config.rotationIntervalHours). */
  readonly rotationIntervalHours: number;
  readonly metricsNamespace: string;
  readonly logLevel: LogLevel;
  readonly logRetentionDays: logs.RetentionDays;
  readonly tracing: boolean;
}

/**
 * Rotation of the webhook token: the rotator function, the EventBridge Scheduler schedules that
 * invoke it, and where failed invocations end up.
 *
 * - `rotationSchedule` (context) invokes `{"action":"rotate"}` (a scheduled rotation; the
 *   rotator skips it if the token was rotated very recently).
 * - `{"action":"sync"}` every 15 minutes reconciles the secret with Amani (and bootstraps it)
 *   without rotating; every successful run reports `TokenAgeHours`, which the "rotation
 *   overdue" alarm watches (a rotator that stops running alarms too).
 * - Reserved concurrency 1: two runs must never rotate concurrently (a second one waits: Lambda
 *   retries throttled asynchronous events).
 * - Delivery failures of the scheduler (after its retry policy) and failed asynchronous runs (after
 *   Lambda's two retries) both land in one failure queue, alarmed by the monitoring.
 */
export class TokenRotation extends Construct {
  readonly rotator: AppFunction;
  readonly failureQueue: sqs.Queue;
  readonly rotationSchedule: scheduler.Schedule;
  readonly syncSchedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: TokenRotationProps) {
    super(scope, id);

    // Holds only invocation payloads and error messages (never a token): SQS-managed encryption
    // suffices and keeps KMS permissions out of the scheduler's and the rotator's roles.
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue is itself the dead-letter target of the rotation: the schedules' dead-letter queue and the rotator's asynchronous on-failure destination. Nothing consumes it automatically; it alarms when not empty.",
    });

    this.rotator = new AppFunction(this, 'Rotator', {
      entry: 'lambda/rotator/index.ts',
      description: 'amani-webhooks rotator: rotates and reconciles the Amani webhook token',
      // Network-bound (a handful of HTTPS calls); 256 MB keeps the cold start (bundle parse) short.
      memorySize: 256,
      timeout: ROTATOR_TIMEOUT,
      reservedConcurrentExecutions: 1,
      logRetentionDays: props.logRetentionDays,
      tracing: props.tracing,
      environment: toRotatorEnvironment({
        tokenSecretId: props.secrets.tokenSecret.secretArn,
        credentialsSecretId: props.secrets.credentials.secretId,
        amaniBaseUrl: props.amaniBaseUrl,
        previousTokenGraceMs: props.previousTokenGraceMinutes * 60_000,
        minRotationAgeMs: minRotationAgeMinutes(props.rotationIntervalHours) * 60_000,
        amaniTimeoutMs: ROTATOR_DEFAULTS.amaniTimeoutMs,
        storeRetryBudgetMs: ROTATOR_DEFAULTS.storeRetryBudgetMs,
        stack: { stackName: Aws.STACK_NAME, stackId: Aws.STACK_ID },
        observability: { serviceName: ROTATOR_DEFAULTS.serviceName, metricsNamespace: props.metricsNamespace, logLevel: props.logLevel },
      }),
      asyncInvoke: {
        onFailure: new SendOnlyQueueDestination(this.failureQueue),
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
      },
    });
    props.secrets.grantReadWriteToken(this.rotator.role);
    props.secrets.grantReadCredentials(this.rotator.role);
    // A rotation checks that no other stack holds the Amani account's claim (read only).
    grantAccountClaims(this.rotator.role, ['ssm:GetParameter'], false);

    // One role for both schedules; the targets add lambda:InvokeFunction on the rotator and
    // sqs:SendMessage on the failure queue to it.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        // Confused-deputy guard: only schedules of this account's default group.
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
      description: 'EventBridge Scheduler: invokes the amani-webhooks rotator',
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.rotator.function)}.Arn>:*]`,
      reason:
        'Added by the scheduler target (LambdaInvoke uses Function.grantInvoke): the rotator and its versions; the rotator has no published versions or aliases, so this names one function only.',
    });

    const target = (payload: object) =>
      new targets.LambdaInvoke(this.rotator.function, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject(payload),
        retryAttempts: 10,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: this.failureQueue,
      });

    this.rotationSchedule = new scheduler.Schedule(this, 'RotationSchedule', {
      schedule: scheduler.ScheduleExpression.expression(props.rotationSchedule),
      target: target(ROTATE_PAYLOAD),
      description: 'Rotates the Amani webhook token (amani-webhooks)',
      timeWindow: scheduler.TimeWindow.off(),
    });
    this.syncSchedule = new scheduler.Schedule(this, 'SyncSchedule', {
      schedule: scheduler.ScheduleExpression.expression(SYNC_SCHEDULE),
      target: target(SYNC_PAYLOAD),
      description:
        'Reconciles the Amani webhook token secret with Amani every 15 minutes; feeds the rotation-overdue alarm (amani-webhooks)',
      timeWindow: scheduler.TimeWindow.off(),
    });
  }
}

/**
 * An on-failure destination like `aws-lambda-destinations.SqsDestination`, but granting the
 * function sqs:SendMessage only (SqsDestination also grants GetQueueAttributes and GetQueueUrl,
 * which Lambda does not need to deliver the failure record).
 */
class SendOnlyQueueDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'SendFailedInvocations', actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    return { destination: this.queue.queueArn };
  }
}
