import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RECEIVER_DEFAULTS } from '../../lambda/receiver/env';
import { ROTATOR_DEFAULTS } from '../../lambda/rotator/env';
import { FALLBACK_RETENTION } from './fallback-queue';
import type { ApiMetrics } from './webhook-api';

/** Powertools `service` dimension of each function (its environment's POWERTOOLS_SERVICE_NAME). */
export const RECEIVER_SERVICE = RECEIVER_DEFAULTS.serviceName;
export const ROTATOR_SERVICE = ROTATOR_DEFAULTS.serviceName;

export interface MonitoringProps {
  readonly stage: string;
  readonly metricsNamespace: string;
  /** The REST or HTTP API in front of the receiver. */
  readonly api: ApiMetrics;
  readonly receiver: lambda.IFunction;
  readonly rotator: lambda.IFunction;
  readonly fallbackQueue: sqs.IQueue;
  /** Events the bus accepted but could not encrypt or decrypt (the key disabled or its policy broken). */
  readonly eventBusDeadLetterQueue: sqs.IQueue;
  readonly rotationFailureQueue: sqs.IQueue;
  readonly authFailureAlarmThreshold: number;
  /** TokenAgeHours above this (rotation interval + slack) means the rotation is overdue. */
  readonly rotationOverdueAfterHours: number;
  /** Hours without an accepted delivery before NoDeliveries fires; no such alarm when unset. */
  readonly noTrafficAlarmHours?: number;
  readonly alarmTopicArn?: string;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_HOUR = Duration.hours(1);

/**
 * ApiServerErrors: 5xx in at least 2 of the last 6 five-minute windows. One isolated 5xx (a cold
 * start that timed out, an API Gateway hiccup) or a burst inside one window that heals is retried
 * by Amani and does not page; a failure that lasts 10 minutes, or comes back within half an hour
 * (a delivery failing again on Amani's retry, whose interval is undocumented), does. Counts, not
 * a rate: a rate would hide behind a high volume the few deliveries that fail on every retry.
 */
const API_SERVER_ERRORS = { period: FIVE_MINUTES, datapointsToAlarm: 2, evaluationPeriods: 6 } as const;

/**
 * The fallback queue deletes a delivery FALLBACK_RETENTION (14 days) after it was parked, and
 * FallbackQueueNotEmpty notifies only once, on entering ALARM. These page again with 10 days or
 * more left to redrive: FallbackQueueAging on the oldest delivery's age; FallbackQueueNotDrained
 * when the queue held a delivery in every hour, because SQS leaves a message received three times
 * (dry runs, redrives the bus refused) out of the age metric - a delivery the bus keeps refusing
 * is exactly the one that would otherwise expire unseen.
 */
const FALLBACK_AGING_AFTER = Duration.days(3);
const FALLBACK_NOT_DRAINED_AFTER = Duration.days(4);
if (Math.max(FALLBACK_AGING_AFTER.toHours(), FALLBACK_NOT_DRAINED_AFTER.toHours()) > FALLBACK_RETENTION.toHours() - 10 * 24) {
  throw new Error('The fallback queue alarms must leave at least 10 days to redrive before a delivery expires');
}

/**
 * Alarms (each notifies the optional SNS topic on ALARM and OK) and one dashboard. What to do
 * when each fires is in docs/deployment.md, "Alarms".
 */
export class Monitoring extends Construct {
  readonly alarms: Record<string, cloudwatch.Alarm> = {};
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const prefix = `amani-webhooks-${props.stage}`;
    const receiverMetric = (metricName: string, statistic = 'Sum', period = FIVE_MINUTES) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: RECEIVER_SERVICE },
        statistic,
        period,
      });
    const rotatorMetric = (metricName: string, statistic = 'Sum', period = FIVE_MINUTES) =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: ROTATOR_SERVICE },
        statistic,
        period,
      });

    const alarm = (
      name: string,
      description: string,
      metric: cloudwatch.IMetric,
      options: Partial<cloudwatch.CreateAlarmOptions> & { threshold: number },
    ) => {
      const created = new cloudwatch.Alarm(this, name, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: `${description} (runbook: docs/deployment.md, "Alarms", ${name})`,
        metric,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      this.alarms[name] = created;
      return created;
    };

    // --- receiver ---
    alarm(
      'ApiServerErrors',
      'API Gateway answered 5xx to Amani in at least 2 of the last 6 five-minute windows (receiver failure, timeout or throttling that lasts or recurs); Amani retries',
      props.api.metricServerError({ period: API_SERVER_ERRORS.period, statistic: 'Sum' }),
      // No request means no datapoint, left not breaching: a quiet period is not a failing one.
      { threshold: 1, evaluationPeriods: API_SERVER_ERRORS.evaluationPeriods, datapointsToAlarm: API_SERVER_ERRORS.datapointsToAlarm },
    );
    alarm(
      'DeliveryFailed',
      'The receiver could not hand an authentic delivery on (secret unreadable, or bus and fallback both failed): it answered 5xx',
      receiverMetric('DeliveryFailed'),
      {
        threshold: 1,
      },
    );
    alarm(
      'AuthenticationFailures',
      `At least ${props.authFailureAlarmThreshold} deliveries in 5 minutes failed signature/token verification (forgeries, or a token out of sync with Amani)`,
      receiverMetric('AuthenticationFailed'),
      { threshold: props.authFailureAlarmThreshold },
    );
    alarm(
      'PublishFailed',
      'EventBridge refused deliveries after retries; they were parked in the fallback queue',
      receiverMetric('PublishFailed'),
      {
        threshold: 1,
      },
    );
    alarm(
      'DedupUnchecked',
      'The delivery ledger (DynamoDB) could not answer the receiver: deliveries were published without deduplication, marked dedup "unchecked" (none was lost or refused; consumers may see a copy twice)',
      receiverMetric('DedupUnchecked'),
      { threshold: 1 },
    );
    alarm(
      'FallbackQueueNotEmpty',
      'Deliveries are parked in the fallback queue: consumers have not seen them; redrive them to the bus',
      props.fallbackQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      { threshold: 1 },
    );
    // SQS publishes nothing for an empty queue nobody touched for six hours, and always reports a
    // queue that holds messages: missing data means empty, hence not breaching for both.
    alarm(
      'FallbackQueueAging',
      `The oldest delivery in the fallback queue was parked ${FALLBACK_AGING_AFTER.toDays()} days ago; SQS deletes it ${FALLBACK_RETENTION.toDays()} days after it was parked: redrive it`,
      props.fallbackQueue.metricApproximateAgeOfOldestMessage({ period: ONE_HOUR, statistic: 'Maximum' }),
      { threshold: FALLBACK_AGING_AFTER.toSeconds() },
    );
    const notDrainedHours = FALLBACK_NOT_DRAINED_AFTER.toHours();
    alarm(
      'FallbackQueueNotDrained',
      `The fallback queue held a delivery in every hour for ${FALLBACK_NOT_DRAINED_AFTER.toDays()} days (deliveries keep being parked, or one the bus refuses stays behind; SQS deletes a delivery ${FALLBACK_RETENTION.toDays()} days after it was parked)`,
      props.fallbackQueue.metricApproximateNumberOfMessagesVisible({ period: ONE_HOUR, statistic: 'Maximum' }),
      { threshold: 1, evaluationPeriods: notDrainedHours, datapointsToAlarm: notDrainedHours },
    );
    alarm(
      'EventBusDeadLetters',
      "EventBridge could not encrypt or decrypt events of the bus with the stack's KMS key (key disabled, scheduled for deletion, or its policy changed): they sit in the bus dead-letter queue instead of reaching consumers",
      props.eventBusDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      { threshold: 1 },
    );
    if (props.noTrafficAlarmHours !== undefined) {
      alarm(
        'NoDeliveries',
        `No delivery from Amani was accepted for ${props.noTrafficAlarmHours} hours (webhook unregistered or events disabled at Amani, URL re-pointed, Amani not sending, or every delivery refused)`,
        receiverMetric('DeliveryAccepted', 'Sum', ONE_HOUR),
        {
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: props.noTrafficAlarmHours,
          datapointsToAlarm: props.noTrafficAlarmHours,
          // DeliveryAccepted is only emitted when a delivery is accepted: its absence is the signal.
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        },
      );
    }

    // --- rotation ---
    alarm(
      'RotationFailed',
      'A rotator run failed (reported failure or crash/timeout); the token secret may be out of sync with Amani',
      new cloudwatch.MathExpression({
        expression: 'FILL(reported, 0) + FILL(errors, 0)',
        usingMetrics: {
          reported: rotatorMetric('RotationFailed'),
          errors: props.rotator.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        period: FIVE_MINUTES,
        label: 'failed rotator runs',
      }),
      { threshold: 1 },
    );
    alarm(
      'RotationInvocationsFailed',
      'Scheduled rotator invocations were given up (scheduler delivery or all Lambda retries failed) and sit in the rotation failure queue',
      props.rotationFailureQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      { threshold: 1 },
    );
    alarm(
      'RotationOverdue',
      `The webhook token is older than ${props.rotationOverdueAfterHours} hours, or the rotator reported no token age for two days (not running, failing, or not bootstrapped)`,
      rotatorMetric('TokenAgeHours', 'Maximum', Duration.days(1)),
      {
        threshold: props.rotationOverdueAfterHours,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Two daily periods, both breaching: one run landing a few seconds late does not alarm.
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );

    alarm(
      'TokenChangedElsewhere',
      "A sync found at Amani a webhook token this stack never stored: another stage uses the same Amani account, someone rotated it in Amani's dashboard, or this stack's rotator died between Amani's rotation and storing it (then RotationFailed fired too). Deliveries were refused (401) until the sync stored it",
      rotatorMetric('TokenChangedElsewhere'),
      { threshold: 1 },
    );

    if (props.alarmTopicArn) {
      const topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
      for (const created of Object.values(this.alarms)) {
        created.addAlarmAction(new actions.SnsAction(topic));
        created.addOkAction(new actions.SnsAction(topic));
      }
    }

    // --- dashboard ---
    const graph = (title: string, metrics: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8) =>
      new cloudwatch.GraphWidget({ title, left: metrics, right, width, height: 6 });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Amani webhooks (${props.stage})\nReceiver and rotator metrics (namespace \`${props.metricsNamespace}\`). Alarms and what to do: docs/deployment.md.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Deliveries', [receiverMetric('DeliveryAccepted'), receiverMetric('DeliveryFailed'), receiverMetric('AuthenticationFailed')]),
      graph('Rejections by reason', [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${props.metricsNamespace},Reason,service} MetricName="DeliveryRejected" service="${RECEIVER_SERVICE}"', 'Sum', 300)`,
          label: '',
          period: FIVE_MINUTES,
        }),
      ]),
      graph('Delivery latency (ms)', [
        receiverMetric('DeliveryLatency', 'p50'),
        receiverMetric('DeliveryLatency', 'p99'),
        receiverMetric('DeliveryLatency', 'Maximum'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Bus publishing', [receiverMetric('PublishRetries'), receiverMetric('PublishFailed'), receiverMetric('FallbackUsed')]),
      graph(
        'Fallback and rotation failure queues',
        [
          props.fallbackQueue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
            label: 'fallback queue',
          }),
          props.rotationFailureQueue.metricApproximateNumberOfMessagesVisible({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
            label: 'rotation failures',
          }),
        ],
        [
          props.fallbackQueue.metricApproximateAgeOfOldestMessage({
            period: FIVE_MINUTES,
            statistic: 'Maximum',
            label: 'oldest parked delivery (s)',
          }),
        ],
      ),
      graph('Token use', [receiverMetric('PreviousTokenUsed'), receiverMetric('SecretRefreshes')]),
    );
    this.dashboard.addWidgets(
      graph(
        'Deduplication',
        [receiverMetric('DuplicateSuppressed'), receiverMetric('DedupUnchecked'), receiverMetric('LedgerWriteFailed')],
        [],
        24,
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'API Gateway',
        [
          props.api.metricCount({ period: FIVE_MINUTES }),
          props.api.metricClientError({ period: FIVE_MINUTES }),
          props.api.metricServerError({ period: FIVE_MINUTES }),
        ],
        [props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' })],
      ),
      graph(
        'Receiver function',
        [
          props.receiver.metricInvocations({ period: FIVE_MINUTES }),
          props.receiver.metricErrors({ period: FIVE_MINUTES }),
          props.receiver.metricThrottles({ period: FIVE_MINUTES }),
        ],
        [props.receiver.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' })],
      ),
      graph('Rotator function', [
        props.rotator.metricInvocations({ period: FIVE_MINUTES }),
        props.rotator.metricErrors({ period: FIVE_MINUTES }),
        props.rotator.metricThrottles({ period: FIVE_MINUTES }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Rotation runs',
        [
          'RotationSucceeded',
          'TokenRotated',
          'RotationSkipped',
          'Reconciled',
          'TokenChangedElsewhere',
          'Bootstrapped',
          'RotationFailed',
        ].map((name) => rotatorMetric(name, 'Sum', Duration.hours(1))),
        [],
        16,
      ),
      new cloudwatch.SingleValueWidget({
        title: 'Token age (hours)',
        metrics: [rotatorMetric('TokenAgeHours', 'Maximum', Duration.days(1))],
        width: 8,
        height: 6,
      }),
    );
  }
}
