/**
 * The alarms of infra/constructs/monitoring.ts: what each watches and how (metric, statistic,
 * threshold, periods, missing-data treatment, actions), and that the chosen settings behave as
 * docs/deployment.md says on timelines run through a model of CloudWatch's evaluation.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { getAtt, REPO_ROOT, synthesize, stackResourceIds } from './stack-harness';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:amani-oncall';
const HOUR = 3600;
const DAY = 24 * HOUR;

interface AlarmProperties {
  readonly AlarmName: string;
  readonly Namespace?: string;
  readonly MetricName?: string;
  readonly Statistic?: string;
  readonly Period: number;
  readonly EvaluationPeriods: number;
  readonly DatapointsToAlarm?: number;
  readonly Threshold: number;
  readonly ComparisonOperator: string;
  readonly TreatMissingData: string;
  readonly AlarmActions?: unknown[];
  readonly OKActions?: unknown[];
  readonly [key: string]: unknown;
}

function alarmsOf(template: Template, stage = 'dev'): Record<string, AlarmProperties> {
  return Object.fromEntries(
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((resource) => {
      const properties = resource.Properties as AlarmProperties;
      return [properties.AlarmName.replace(`amani-webhooks-${stage}-`, ''), properties];
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// A model of CloudWatch's metric alarm evaluation, enough to check the chosen settings: the
// state after each period is decided by the last EvaluationPeriods datapoints, M of N breaching
// means ALARM, a missing datapoint counts as breaching or not as TreatMissingData says.
// (CloudWatch also looks back further when the newest datapoints are missing; every timeline
// below has its datapoints on time.)
// ---------------------------------------------------------------------------------------------

type Datapoint = number | undefined;

function breaches(alarm: AlarmProperties, value: number): boolean {
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= alarm.Threshold;
    case 'GreaterThanThreshold':
      return value > alarm.Threshold;
    case 'LessThanThreshold':
      return value < alarm.Threshold;
    default:
      throw new Error(`no model for ${alarm.ComparisonOperator}`);
  }
}

/** The state after each datapoint (one per period, oldest first). */
function states(alarm: AlarmProperties, datapoints: readonly Datapoint[]): ('ALARM' | 'OK')[] {
  if (!['breaching', 'notBreaching'].includes(alarm.TreatMissingData)) throw new Error(`no model for ${alarm.TreatMissingData}`);
  const needed = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods;
  return datapoints.map((_, index) => {
    const window = datapoints.slice(Math.max(0, index + 1 - alarm.EvaluationPeriods), index + 1);
    const breaching = window.filter((value) =>
      value === undefined ? alarm.TreatMissingData === 'breaching' : breaches(alarm, value),
    ).length;
    return breaching >= needed ? 'ALARM' : 'OK';
  });
}

/** Seconds from the start of the timeline to the end of the period that first puts the alarm in ALARM. */
function firstAlarmAt(alarm: AlarmProperties, datapoints: readonly Datapoint[]): number | undefined {
  const index = states(alarm, datapoints).indexOf('ALARM');
  return index === -1 ? undefined : (index + 1) * alarm.Period;
}

/**
 * Sums of events per period over `duration` seconds, as CloudWatch sees a metric emitted once per
 * event (EMF, or API Gateway's per-request 5XXError of 0 or 1): a period without any event has
 * no datapoint at all.
 */
function sums(period: number, duration: number, events: readonly { at: number; value: number }[]): Datapoint[] {
  const datapoints: Datapoint[] = Array.from({ length: Math.ceil(duration / period) }, () => undefined);
  for (const event of events) {
    const index = Math.floor(event.at / period);
    datapoints[index] = (datapoints[index] ?? 0) + event.value;
  }
  return datapoints;
}

/** Requests every `every` seconds over `duration`; those `failing(at)` selects answer 5xx. */
function requests(every: number, duration: number, failing: (at: number) => boolean) {
  return Array.from({ length: Math.floor(duration / every) }, (_, index) => index * every).map((at) => ({
    at,
    value: failing(at) ? 1 : 0,
  }));
}

describe('the default stack', () => {
  const { template } = synthesize();
  const id = stackResourceIds(template);
  const alarms = alarmsOf(template);
  const retentionSeconds = template.toJSON().Resources[id.fallback].Properties.MessageRetentionPeriod as number;

  test('one alarm per failure mode; NoDeliveries only when noTrafficAlarmHours is set', () => {
    expect(Object.keys(alarms).sort()).toEqual([
      'ApiServerErrors',
      'AuthenticationFailures',
      'DedupUnchecked',
      'DeliveryFailed',
      'EventBusDeadLetters',
      'FallbackQueueAging',
      'FallbackQueueNotDrained',
      'FallbackQueueNotEmpty',
      'PublishFailed',
      'RotationFailed',
      'RotationInvocationsFailed',
      'RotationOverdue',
      'TokenChangedElsewhere',
    ]);
  });

  test('every alarm names its runbook entry, and docs/deployment.md has it', () => {
    const runbook = readFileSync(path.join(REPO_ROOT, 'docs', 'deployment.md'), 'utf8');
    const withNoDeliveries = alarmsOf(synthesize({ noTrafficAlarmHours: 6 }).template);
    for (const [name, alarm] of Object.entries(withNoDeliveries)) {
      expect(alarm.AlarmDescription).toContain(`(runbook: docs/deployment.md, "Alarms", ${name})`);
      expect(runbook).toMatch(new RegExp(`^\\| \`${name}\` [^|]*\\| .+ \\| .+ \\|$`, 'm'));
    }
  });

  test('receiver alarms watch its EMF metrics, one failure is enough', () => {
    for (const [name, metric, threshold] of [
      ['DeliveryFailed', 'DeliveryFailed', 1],
      ['PublishFailed', 'PublishFailed', 1],
      ['DedupUnchecked', 'DedupUnchecked', 1],
      ['AuthenticationFailures', 'AuthenticationFailed', 10],
    ] as const) {
      expect(alarms[name]).toMatchObject({
        Namespace: 'AmaniWebhooks/dev',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'amani-webhooks-receiver' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  describe('ApiServerErrors: 5xx that last or recur, never one isolated 5xx', () => {
    const alarm = alarms.ApiServerErrors!;
    const day = (failing: (at: number) => boolean, every = 60) => sums(alarm.Period, DAY, requests(every, DAY, failing));

    test('API Gateway 5XXError of the stage API: a count in 2 of the last 6 five-minute windows; no traffic is not breaching', () => {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Dimensions: [{ Name: 'ApiName', Value: 'amani-webhooks-dev' }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 6,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    test('one 5xx in a day of traffic does not page, nor a burst inside one window that heals', () => {
      expect(
        firstAlarmAt(
          alarm,
          day((at) => at === 10 * HOUR),
        ),
      ).toBeUndefined();
      expect(
        firstAlarmAt(
          alarm,
          day((at) => at >= 10 * HOUR && at < 10 * HOUR + 240, 5),
        ),
      ).toBeUndefined();
      // Isolated 5xx more than half an hour apart do not add up.
      expect(
        firstAlarmAt(
          alarm,
          day((at) => at % (2 * HOUR) === 0),
        ),
      ).toBeUndefined();
    });

    test('a failure that lasts pages within 10 minutes, at a delivery a minute', () => {
      const start = 10 * HOUR;
      expect(
        firstAlarmAt(
          alarm,
          day((at) => at >= start),
        )! - start,
      ).toBeLessThanOrEqual(10 * 60);
    });

    test('a delivery failing again on a retry 20 minutes later pages, with no other traffic', () => {
      const retried = sums(alarm.Period, DAY, [
        { at: 3 * HOUR, value: 1 },
        { at: 3 * HOUR + 20 * 60, value: 1 },
      ]);
      expect(firstAlarmAt(alarm, retried)).toBe(3 * HOUR + 25 * 60);
    });
  });

  describe('fallback queue: depth at once, then again days before a parked delivery expires', () => {
    const queueDimensions = [{ Name: 'QueueName', Value: getAtt(id.fallback, 'QueueName') }];

    test('FallbackQueueNotEmpty: one visible message', () => {
      expect(alarms.FallbackQueueNotEmpty).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: queueDimensions,
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    test('FallbackQueueAging: the oldest message is 3 days old, 11 days before SQS deletes it; an idle empty queue (no data) is fine', () => {
      expect(retentionSeconds).toBe(14 * DAY);
      expect(alarms.FallbackQueueAging).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: queueDimensions,
        Statistic: 'Maximum',
        Period: HOUR,
        EvaluationPeriods: 1,
        Threshold: 3 * DAY,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(retentionSeconds - alarms.FallbackQueueAging!.Threshold).toBeGreaterThanOrEqual(10 * DAY);
    });

    test('FallbackQueueNotDrained: a delivery visible in every hour for 4 days (what the age metric stops counting)', () => {
      const alarm = alarms.FallbackQueueNotDrained!;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: queueDimensions,
        Statistic: 'Maximum',
        Period: HOUR,
        EvaluationPeriods: 96,
        DatapointsToAlarm: 96,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(retentionSeconds - alarm.EvaluationPeriods * alarm.Period).toBeGreaterThanOrEqual(10 * DAY);
      // CloudWatch refuses an evaluation range over 7 days.
      expect(alarm.EvaluationPeriods * alarm.Period).toBeLessThanOrEqual(7 * DAY);

      const hours = (count: number, depth: (hour: number) => Datapoint) => Array.from({ length: count }, (_, hour) => depth(hour));
      // A delivery the bus keeps refusing stays: paged after 4 days, 10 days before it expires.
      expect(
        firstAlarmAt(
          alarm,
          hours(14 * 24, () => 1),
        ),
      ).toBe(4 * DAY);
      // Parked and redriven every day: the queue empties, no page.
      expect(
        firstAlarmAt(
          alarm,
          hours(14 * 24, (hour) => (hour % 24 === 23 ? 0 : 3)),
        ),
      ).toBeUndefined();
      // An empty queue nobody touches publishes nothing.
      expect(
        firstAlarmAt(
          alarm,
          hours(14 * 24, () => undefined),
        ),
      ).toBeUndefined();
    });
  });

  test('rotation failed: reported failures or function errors', () => {
    const failed = alarms.RotationFailed!;
    const metrics = failed.Metrics as { Expression?: string; MetricStat?: { Metric: { MetricName: string } } }[];
    expect(metrics.find((m) => m.Expression)!.Expression).toBe('FILL(reported, 0) + FILL(errors, 0)');
    expect(
      metrics
        .filter((m) => m.MetricStat)
        .map((m) => m.MetricStat!.Metric.MetricName)
        .sort(),
    ).toEqual(['Errors', 'RotationFailed']);
  });

  test('rotation overdue: token age above the interval plus slack, missing data breaching', () => {
    expect(alarms.RotationOverdue).toMatchObject({
      Namespace: 'AmaniWebhooks/dev',
      MetricName: 'TokenAgeHours',
      Dimensions: [{ Name: 'service', Value: 'amani-webhooks-rotator' }],
      Statistic: 'Maximum',
      Period: 86400,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 720 + 48,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
    });
    const weekly = alarmsOf(synthesize({ rotationSchedule: 'rate(7 days)', authFailureAlarmThreshold: 3 }).template);
    expect(weekly.RotationOverdue!.Threshold).toBe(168 + 48);
    expect(weekly.AuthenticationFailures!.Threshold).toBe(3);
  });

  test('without alarmTopicArn the alarms notify nobody', () => {
    for (const alarm of Object.values(alarms)) {
      expect(alarm.AlarmActions).toBeUndefined();
      expect(alarm.OKActions).toBeUndefined();
    }
  });

  test('a dashboard of the receiver, rotator and queue metrics', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]!;
    expect(dashboard.Properties.DashboardName).toBe('amani-webhooks-dev');
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of [
      'DeliveryAccepted',
      'DeliveryRejected',
      'AuthenticationFailed',
      'DeliveryLatency',
      'PublishFailed',
      'FallbackUsed',
      'PreviousTokenUsed',
      'RotationSucceeded',
      'RotationFailed',
      'TokenAgeHours',
      'Bootstrapped',
      'Reconciled',
      'RotationSkipped',
      'ApproximateAgeOfOldestMessage',
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('NoDeliveries (noTrafficAlarmHours)', () => {
  const alarmFor = (hours: number) => alarmsOf(synthesize({ noTrafficAlarmHours: String(hours) }).template).NoDeliveries!;

  test('accepted deliveries summed per hour, below 1 for N hours of N; no data is breaching (the metric exists only when a delivery is accepted)', () => {
    expect(alarmFor(12)).toMatchObject({
      Namespace: 'AmaniWebhooks/dev',
      MetricName: 'DeliveryAccepted',
      Dimensions: [{ Name: 'service', Value: 'amani-webhooks-receiver' }],
      Statistic: 'Sum',
      Period: HOUR,
      EvaluationPeriods: 12,
      DatapointsToAlarm: 12,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarmFor(168)).toMatchObject({ EvaluationPeriods: 168, DatapointsToAlarm: 168 });
  });

  test('pages after N to N+1 silent hours, never while deliveries keep coming', () => {
    const alarm = alarmFor(6);
    const week = 7 * DAY;
    const every = (seconds: number, until = week) =>
      Array.from({ length: Math.ceil(until / seconds) }, (_, index) => ({ at: index * seconds, value: 1 }));
    expect(firstAlarmAt(alarm, sums(HOUR, week, every(5 * HOUR)))).toBeUndefined();
    // Last delivery at 48:00: the six silent hours 49:00-55:00 page at 55:00.
    const stopped = sums(HOUR, week, every(HOUR / 2, 48 * HOUR + 1));
    expect(firstAlarmAt(alarm, stopped)).toBe(55 * HOUR);
    // Nothing at all since the deploy (never registered, nothing sent).
    expect(firstAlarmAt(alarm, sums(HOUR, week, []))).toBe(6 * HOUR);
  });
});

describe('alarm actions', () => {
  test('every alarm, NoDeliveries included, notifies the SNS topic on ALARM and on OK', () => {
    const alarms = alarmsOf(synthesize({ alarmTopicArn: TOPIC, noTrafficAlarmHours: 24 }).template);
    expect(Object.keys(alarms)).toHaveLength(14);
    expect(alarms.NoDeliveries).toBeDefined();
    for (const alarm of Object.values(alarms)) {
      expect(alarm.AlarmActions).toEqual([TOPIC]);
      expect(alarm.OKActions).toEqual([TOPIC]);
    }
  });

  test('a production stage pages someone with every alarm', () => {
    const alarms = alarmsOf(synthesize({ stage: 'prod', alarmTopicArn: TOPIC }).template, 'prod');
    expect(Object.keys(alarms)).toContain('FallbackQueueAging');
    for (const alarm of Object.values(alarms)) expect(alarm.AlarmActions).toEqual([TOPIC]);
  });
});
