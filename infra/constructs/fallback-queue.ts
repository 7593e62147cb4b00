import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** How long a parked delivery is kept (the SQS maximum); the monitoring alarms well before it ends. */
export const FALLBACK_RETENTION = Duration.days(14);

export interface FallbackQueueProps {
  readonly key: kms.IKey;
  /**
   * RETAIN in production: the queue holds deliveries Amani was told succeeded. Its TLS-only
   * policy is retained with it.
   */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Where the receiver parks an authentic delivery the bus refused after its retries, so that it
 * can still answer 2xx (contract: "durably handed on"). Operators redrive it to the bus later
 * (the CLI's redrive, docs/deployment.md). It holds complete deliveries, i.e. personal data:
 * encrypted with the stack key, TLS-only, 14 days (the SQS maximum) to notice and redrive,
 * alarmed as soon as it is not empty and again days before a delivery could expire (monitoring).
 *
 * No dead-letter queue of its own: this queue already is the dead-letter store of the pipeline.
 * Its only consumer is the operator's redrive; a redrive policy would move a delivery that was
 * merely received a few times (inspected, or a redrive that failed to publish) into yet another
 * queue, splitting the backlog without making anything more durable.
 */
export class FallbackQueue extends Construct {
  readonly queue: sqs.Queue;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: FallbackQueueProps) {
    super(scope, id);
    this.key = props.key;
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      // Fewer KMS calls when several deliveries are parked in a burst.
      dataKeyReuse: Duration.minutes(15),
      retentionPeriod: FALLBACK_RETENTION,
      visibilityTimeout: Duration.minutes(2),
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    });
    for (const child of this.queue.node.findAll()) {
      if (child instanceof sqs.CfnQueuePolicy) child.applyRemovalPolicy(props.removalPolicy);
    }
    Validations.of(this.queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter store of the webhook pipeline (deliveries the bus refused); its only consumer is the operator-driven redrive. A redrive policy would only move parked deliveries into a second queue after a few receives, splitting the backlog without adding durability. It alarms as soon as it holds a message.',
    });
  }

  /** sqs:SendMessage on this queue, and the KMS data-key actions SQS needs for it (and only it). */
  grantSendMessages(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SendToFallbackQueue', actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FallbackQueueKms',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}`,
            'kms:EncryptionContext:aws:sqs:arn': this.queue.queueArn,
          },
        },
      }),
    );
  }

  /**
   * What a redrive needs (cli/redrive.ts): receive, delete and release messages of this queue,
   * read its depth, and decrypt through SQS for this queue only.
   */
  grantRedrive(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RedriveFallbackQueue',
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
        resources: [this.queue.queueArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RedriveFallbackQueueKms',
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}`,
            'kms:EncryptionContext:aws:sqs:arn': this.queue.queueArn,
          },
        },
      }),
    );
  }
}
