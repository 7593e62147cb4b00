import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Powertools `service` dimension of each function (set through POWERTOOLS_SERVICE_NAME). */
export const RECEIVER_SERVICE = 'amani-webhooks-receiver';
export const ROTATOR_SERVICE = 'amani-webhooks-rotator';

export interface MonitoringProps {
  readonly stage: string;
  readonly metricsNamespace: string;
  readonly api: apigateway.RestApi;
  readonly receiver: lambda.IFunction;
  readonly rotator: lambda.IFunction;
  readonly fallbackQueue: sqs.IQueue;
  readonly rotationFailureQueue: sqs.IQueue;
  readonly authFailureAlarmThreshold: number;
  /** TokenAgeHours above this (rotation interval + slack) means the rotation is overdue. */
  readonly rotationOverdueAfterHours: number;
  readonly alarmTopicArn?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

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
      new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: { service: RECEIVER_SERVICE }, statistic, period });
    const rotatorMetric = (metricName: string, statistic = 'Sum', period = FIVE_MINUTES) =>
      new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: { service: ROTATOR_SERVICE }, statistic, period });

    const alarm = (name: string, description: string, metric: cloudwatch.IMetric, options: Partial<cloudwatch.CreateAlarmOptions> & { threshold: number }) => {
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
    alarm('ApiServerErrors', 'API Gateway answered 5xx to Amani (receiver failure, timeout or throttling); Amani retries', props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }), {
      threshold: 1,
    });
    alarm('DeliveryFailed', 'The receiver could not hand an authentic delivery on (secret unreadable, or bus and fallback both failed): it answered 5xx', receiverMetric('DeliveryFailed'), {
      threshold: 1,
    });
    alarm(
      'AuthenticationFailures',
      `At least ${props.authFailureAlarmThreshold} deliveries in 5 minutes failed signature/token verification (forgeries, or a token out of sync with Amani)`,
      receiverMetric('AuthenticationFailed'),
      { threshold: props.authFailureAlarmThreshold },
    );
    alarm('PublishFailed', 'EventBridge refused deliveries after retries; they were parked in the fallback queue', receiverMetric('PublishFailed'), {
      threshold: 1,
    });
    alarm(
      'FallbackQueueNotEmpty',
      'Deliveries are parked in the fallback queue: consumers have not seen them; redrive them to the bus',
      props.fallbackQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }),
      { threshold: 1 },
    );

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
      graph('Fallback and rotation failure queues', [
        props.fallbackQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'fallback queue' }),
        props.rotationFailureQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'rotation failures' }),
      ]),
      graph('Token use', [receiverMetric('PreviousTokenUsed'), receiverMetric('SecretRefreshes')]),
    );
    this.dashboard.addWidgets(
      graph('API Gateway', [
        props.api.metricCount({ period: FIVE_MINUTES }),
        props.api.metricClientError({ period: FIVE_MINUTES }),
        props.api.metricServerError({ period: FIVE_MINUTES }),
      ], [props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' })]),
      graph('Receiver function', [
        props.receiver.metricInvocations({ period: FIVE_MINUTES }),
        props.receiver.metricErrors({ period: FIVE_MINUTES }),
        props.receiver.metricThrottles({ period: FIVE_MINUTES }),
      ], [props.receiver.metricDuration({ period: FIVE_MINUTES, statistic: 'p99' })]),
      graph('Rotator function', [
        props.rotator.metricInvocations({ period: FIVE_MINUTES }),
        props.rotator.metricErrors({ period: FIVE_MINUTES }),
        props.rotator.metricThrottles({ period: FIVE_MINUTES }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Rotation runs',
        ['RotationSucceeded', 'TokenRotated', 'RotationSkipped', 'Reconciled', 'TokenChangedElsewhere', 'Bootstrapped', 'RotationFailed'].map((name) =>
          rotatorMetric(name, 'Sum', Duration.hours(1)),
        ),
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
