/**
 * The AWS emulator's EventBridge rules with SQS targets, and the SQS queue administration they
 * need, for `npx amani-webhooks tail` on a deployed stage (a temporary rule to a temporary queue):
 *
 * - EventBridge: PutRule (the pattern checked as PutRule checks it), PutTargets, RemoveTargets,
 *   DeleteRule (refused while the rule has targets), ListRules (NamePrefix)
 * - SQS: CreateQueue, GetQueueUrl, SetQueueAttributes, DeleteQueue
 * - Delivery: each event PutEvents accepts goes to the SQS targets of every enabled rule on its
 *   bus whose pattern matches, only when the queue's policy lets events.amazonaws.com send from
 *   that rule (as EventBridge, a delivery the policy refuses is dropped and counted).
 *
 * Kept apart from aws-emulator.ts, which wires these operations in and hands over the queues.
 */
import { matchesEventPattern, eventPatternProblems, type EventPattern } from '../packages/consumer/src/event-pattern';

// biome-ignore lint/suspicious/noExplicitAny: AWS JSON protocol inputs are untyped until an operation reads them
type AwsJson = Record<string, any>;
type OperationHandler = (input: AwsJson) => unknown;

/** What the rules need of the emulator: its queues, and how it words an AWS error. */
export interface RuleHost {
  readonly account: string;
  readonly region: string;
  readonly queues: Map<string, Array<{ readonly Body: string }>>;
  saveQueues(): void;
  queueUrl(name: string): string;
  /** Appends a message to a queue the way SendMessage does. */
  enqueue(queueName: string, body: string): void;
  error(status: number, type: string, message: string, queryCode?: string): Error;
}

export interface EmulatedRule {
  readonly name: string;
  readonly eventBusName: string;
  readonly arn: string;
  readonly pattern: EventPattern;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly targets: Map<string, string>;
}

export interface EventRules {
  readonly operations: Record<string, OperationHandler>;
  /** Delivers an accepted event to the targets of the rules it matches. */
  route(event: { readonly 'event-bus-name': string }): void;
  rules(): readonly EmulatedRule[];
  /** Deliveries a queue policy refused (EventBridge's FailedInvocations). */
  readonly failedInvocations: { count: number };
}

export function eventRules(host: RuleHost): EventRules {
  const rules = new Map<string, EmulatedRule>();
  const policies = new Map<string, string>();
  const failedInvocations = { count: 0 };
  const key = (bus: unknown, name: unknown) => `${String(bus ?? 'default')}/${String(name)}`;
  const ruleNamed = (input: AwsJson, field: 'Name' | 'Rule') => {
    const rule = rules.get(key(input.EventBusName, input[field]));
    if (!rule)
      throw host.error(
        400,
        'ResourceNotFoundException',
        `Rule ${String(input[field])} does not exist on EventBus ${input.EventBusName ?? 'default'}.`,
      );
    return rule;
  };
  const queueArn = (name: string) => `arn:aws:sqs:${host.region}:${host.account}:${name}`;
  const queueName = (url: unknown) => {
    const name =
      String(url ?? '')
        .split('/')
        .pop() ?? '';
    if (!host.queues.has(name))
      throw host.error(400, 'QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue;Sender');
    return name;
  };

  const operations: Record<string, OperationHandler> = {
    PutRule: (input) => {
      const name = String(input.Name ?? '');
      if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
        throw host.error(400, 'ValidationException', 'Rule name must be 1 to 64 of [.-_A-Za-z0-9].');
      let pattern: unknown;
      try {
        pattern = JSON.parse(String(input.EventPattern));
      } catch {
        throw host.error(400, 'InvalidEventPatternException', 'Event pattern is not valid JSON.');
      }
      const problems = eventPatternProblems(pattern);
      if (problems.length > 0) throw host.error(400, 'InvalidEventPatternException', `Event pattern is not valid: ${problems.join('; ')}`);
      const bus = String(input.EventBusName ?? 'default');
      const arn = `arn:aws:events:${host.region}:${host.account}:rule/${bus === 'default' ? '' : `${bus}/`}${name}`;
      const existing = rules.get(key(bus, name));
      rules.set(key(bus, name), {
        name,
        eventBusName: bus,
        arn,
        pattern: pattern as EventPattern,
        state: input.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        targets: existing?.targets ?? new Map(),
      });
      return { RuleArn: arn };
    },
    PutTargets: (input) => {
      const rule = ruleNamed(input, 'Rule');
      for (const target of (input.Targets ?? []) as AwsJson[]) rule.targets.set(String(target.Id), String(target.Arn));
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    RemoveTargets: (input) => {
      const rule = ruleNamed(input, 'Rule');
      for (const id of (input.Ids ?? []) as string[]) rule.targets.delete(id);
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    DeleteRule: (input) => {
      const rule = ruleNamed(input, 'Name');
      if (rule.targets.size > 0) throw host.error(400, 'ValidationException', "Rule can't be deleted since it has targets.");
      rules.delete(key(rule.eventBusName, rule.name));
      return {};
    },
    ListRules: (input) => ({
      Rules: [...rules.values()]
        .filter((r) => r.eventBusName === String(input.EventBusName ?? 'default') && r.name.startsWith(String(input.NamePrefix ?? '')))
        .map((r) => ({ Name: r.name, Arn: r.arn, EventPattern: JSON.stringify(r.pattern), State: r.state, EventBusName: r.eventBusName })),
    }),
    CreateQueue: (input) => {
      const name = String(input.QueueName ?? '');
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
        throw host.error(400, 'InvalidParameterValue', 'Queue name must be 1 to 80 of [A-Za-z0-9_-].', 'InvalidParameterValue;Sender');
      if (!host.queues.has(name)) host.queues.set(name, []);
      if (input.Attributes?.Policy) policies.set(name, String(input.Attributes.Policy));
      host.saveQueues();
      return { QueueUrl: host.queueUrl(name) };
    },
    GetQueueUrl: (input) => ({ QueueUrl: host.queueUrl(queueName(`/${String(input.QueueName ?? '')}`)) }),
    SetQueueAttributes: (input) => {
      const name = queueName(input.QueueUrl);
      if (input.Attributes?.Policy !== undefined) policies.set(name, String(input.Attributes.Policy));
      return {};
    },
    DeleteQueue: (input) => {
      const name = queueName(input.QueueUrl);
      host.queues.delete(name);
      policies.delete(name);
      host.saveQueues();
      return {};
    },
  };

  return {
    operations,
    rules: () => [...rules.values()],
    failedInvocations,
    route: (event) => {
      for (const rule of rules.values()) {
        if (rule.state !== 'ENABLED' || rule.eventBusName !== event['event-bus-name'] || !matchesEventPattern(rule.pattern, event))
          continue;
        for (const arn of rule.targets.values()) {
          const name = arn.startsWith(`arn:aws:sqs:${host.region}:${host.account}:`) ? arn.split(':').pop() : undefined;
          if (name && host.queues.has(name) && policyAllows(policies.get(name), queueArn(name), rule.arn))
            host.enqueue(name, JSON.stringify(event));
          else failedInvocations.count++;
        }
      }
    },
  };
}

/** Whether a queue policy lets EventBridge send messages from the rule `ruleArn` (Allow statements only, as far as a tail queue needs). */
export function policyAllows(policyText: string | undefined, queueArn: string, ruleArn: string): boolean {
  if (!policyText) return false;
  let policy: { Statement?: unknown };
  try {
    policy = JSON.parse(policyText) as { Statement?: unknown };
  } catch {
    return false;
  }
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);
  return list(policy.Statement).some((statement) => {
    const s = statement as AwsJson;
    const principals = s.Principal === '*' ? ['*'] : list(s.Principal?.Service);
    const sourceArns = [s.Condition?.ArnEquals?.['aws:SourceArn'], s.Condition?.ArnLike?.['aws:SourceArn']].flatMap(list);
    return (
      s.Effect === 'Allow' &&
      principals.some((p) => p === 'events.amazonaws.com' || p === '*') &&
      list(s.Action).some((a) => a === 'sqs:SendMessage' || a === 'sqs:*') &&
      list(s.Resource).some((r) => r === queueArn || r === '*') &&
      (s.Condition === undefined || sourceArns.includes(ruleArn))
    );
  });
}
