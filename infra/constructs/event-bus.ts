import { ArnFormat, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface WebhookEventBusProps {
  readonly stage: string;
  readonly eventSource: string;
  /** 0 keeps archived events forever. */
  readonly archiveRetentionDays: number;
  /** The stack's customer-managed key: it encrypts the events on the bus and in the archive. */
  readonly key: kms.IKey;
  /** RETAIN in production: the bus, the archive and the dead-letter queue outlive the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The custom bus every accepted delivery is published to (one event per delivery, see the
 * contract) and an archive of everything the receiver publishes, so consumers can replay a
 * window after an outage or a bug (`aws events start-replay`, docs/deployment.md).
 *
 * Names are stable (`amani-webhooks-<stage>`): downstream teams write rules against the bus by name.
 *
 * Encryption: the bus and the archive hold the same personal data as the fallback queue, so the
 * same customer-managed key encrypts them (its key policy lets EventBridge use it for this bus
 * only). Publishers and consumers need no KMS permission: EventBridge encrypts on the way in and
 * decrypts for matching and for delivery to targets (a target bus re-encrypts with its own key);
 * replays read the archive the same way. Schema discovery cannot run on a bus with a
 * customer-managed key. An event EventBridge cannot encrypt or decrypt (the key disabled or its
 * policy broken) goes to `deadLetterQueue` instead of being dropped; that queue uses SQS-managed
 * encryption, because the key is what failed.
 *
 * Who may publish the product's events: `restrictSourceTo` (a bus policy) and `grantPutEvents`
 * (identity policies conditioned on the source).
 */
export class WebhookEventBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  /** Events the bus accepted but could not encrypt or decrypt with the key. */
  readonly deadLetterQueue: sqs.Queue;
  readonly busName: string;
  /** The bus ARN built from its name (no reference to the bus resource: usable in its own policy). */
  readonly busArn: string;
  private readonly eventSource: string;

  constructor(scope: Construct, id: string, props: WebhookEventBusProps) {
    super(scope, id);
    this.eventSource = props.eventSource;
    const name = `amani-webhooks-${props.stage}`;
    this.busName = name;
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the event bus (events EventBridge could not encrypt or decrypt); a dead-letter queue of its own would only move the same messages one step further. Its depth raises the EventBusDeadLetters alarm.',
    });
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: name,
      description: `Amani KYC webhook deliveries (${props.stage}): source "${props.eventSource}", detail-type = Amani event name`,
      kmsKey: props.key,
      deadLetterQueue: this.deadLetterQueue,
    });
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'EventBusDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.bus.eventBusArn } },
      }),
    );
    // The bus by its ARN built from its name: the key policy statements CDK adds for the bus and
    // the archive must not refer to the bus resource, which refers to the key.
    this.busArn = Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: name });
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: events.EventBus.fromEventBusArn(this, 'BusByArn', this.busArn),
      archiveName: name,
      description: `Every Amani webhook delivery published on ${name}, for replay`,
      eventPattern: { source: [props.eventSource] },
      retention: props.archiveRetentionDays > 0 ? Duration.days(props.archiveRetentionDays) : undefined,
      kmsKey: props.key,
    });
    this.archive.node.addDependency(this.bus);
    this.bus.applyRemovalPolicy(props.removalPolicy);
    this.archive.applyRemovalPolicy(props.removalPolicy);
  }

  /** events:PutEvents on this bus only, and only for events of the product's source. */
  grantPutEvents(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutEventsOnWebhookBus',
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: { 'ForAllValues:StringEquals': { 'events:source': [this.eventSource] } },
      }),
    );
  }

  /**
   * Replays from the archive (docs/deployment.md, "Replaying from the archive"): start one from
   * this archive, and describe or cancel replays named `<bus name>-<anything>`.
   */
  grantReplay(grantee: iam.IGrantable): void {
    const replays = Stack.of(this).formatArn({
      service: 'events',
      resource: 'replay',
      resourceName: `${this.busName}-*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReplayFromArchive',
        actions: ['events:StartReplay'],
        resources: [this.archive.archiveArn, replays],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'FollowReplays', actions: ['events:DescribeReplay', 'events:CancelReplay'], resources: [replays] }),
    );
  }

  /**
   * The bus policy: an event with the product's source may be put on this bus by the given roles
   * only (the receiver, and the operator role that redrives parked deliveries). Everyone else is
   * denied, administrators and the account root included, whatever their IAM policies allow: a
   * forged "amani" event on this bus would reach every consumer as a verified KYC result. Events
   * of other sources are not affected, and neither are AWS services acting as themselves
   * (EventBridge delivering its own replays and archive traffic). Who may change this policy
   * (events:PutPermission, events:RemovePermission) is the break-glass path: docs/deployment.md.
   */
  restrictSourceTo(writers: readonly iam.IRole[]): void {
    const statement = new iam.PolicyStatement({
      sid: 'OnlyTheReceiverAndRedrivePublishTheSource',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [this.busArn],
      conditions: {
        'ForAnyValue:StringEquals': { 'events:source': [this.eventSource] },
        ArnNotEquals: { 'aws:PrincipalArn': writers.map((role) => role.roleArn) },
        Bool: { 'aws:PrincipalIsAWSService': 'false' },
      },
    });
    // The bus's own Policy property: the policy lives and goes with the bus.
    (this.bus.node.defaultChild as events.CfnEventBus).policy = new iam.PolicyDocument({ statements: [statement] }).toJSON();
  }
}
