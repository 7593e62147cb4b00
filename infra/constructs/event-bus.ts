import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface WebhookEventBusProps {
  readonly stage: string;
  readonly eventSource: string;
  /** 0 keeps archived events forever. */
  readonly archiveRetentionDays: number;
  /** RETAIN in production: the bus and the archive outlive the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The custom bus every accepted delivery is published to (one event per delivery, see the
 * contract) and an archive of everything the receiver publishes, so consumers can replay a
 * window after an outage or a bug (`aws events start-replay`, docs/deployment.md).
 *
 * Names are stable (`amani-webhooks-<stage>`): downstream teams write rules against the bus by name.
 */
export class WebhookEventBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: WebhookEventBusProps) {
    super(scope, id);
    const name = `amani-webhooks-${props.stage}`;
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: name,
      description: `Amani KYC webhook deliveries (${props.stage}): source "${props.eventSource}", detail-type = Amani event name`,
    });
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: this.bus,
      archiveName: name,
      description: `Every Amani webhook delivery published on ${name}, for replay`,
      eventPattern: { source: [props.eventSource] },
      retention: props.archiveRetentionDays > 0 ? Duration.days(props.archiveRetentionDays) : undefined,
    });
    this.bus.applyRemovalPolicy(props.removalPolicy);
    this.archive.applyRemovalPolicy(props.removalPolicy);
  }

  /** events:PutEvents on this bus only. */
  grantPutEvents(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'PutEventsOnWebhookBus', actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
  }
}
