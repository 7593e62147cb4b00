import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { amaniEventPattern, toCdkEventPattern } from '@amani-webhooks/events';
import type { Construct } from 'constructs';
import * as path from 'node:path';

export interface ConsumerStackProps extends StackProps {
  /** The amani-webhooks stack's `EventBusArn` output. */
  readonly eventBusArn: string;
  /** Its `EventSource` output (default `amani`). */
  readonly eventSource?: string;
}

/**
 * A team's consumer of amani-webhooks events: a rule on the product's bus selecting profile
 * approvals (both status spellings), a Lambda that handles each delivery once (Powertools
 * idempotency on `detail.metadata.deliveryId`, in a DynamoDB table), and a dead-letter queue that
 * keeps every event that could not be delivered to the function (the rule target's retry policy)
 * or that the function failed on (Lambda's own asynchronous retries).
 */
export class ConsumerStack extends Stack {
  readonly rule: events.Rule;
  readonly function: NodejsFunction;
  readonly deadLetters: sqs.Queue;
  readonly idempotency: dynamodb.Table;

  constructor(scope: Construct, id: string, props: ConsumerStackProps) {
    super(scope, id, props);
    const eventSource = props.eventSource ?? 'amani';
    const bus = events.EventBus.fromEventBusArn(this, 'AmaniBus', props.eventBusArn);

    this.idempotency = new dynamodb.Table(this, 'Idempotency', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiration',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    this.function = new NodejsFunction(this, 'ApprovedProfiles', {
      entry: path.join(__dirname, '..', 'src', 'handler.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      environment: {
        IDEMPOTENCY_TABLE: this.idempotency.tableName,
        AMANI_EVENT_SOURCE: eventSource,
        POWERTOOLS_SERVICE_NAME: 'approved-profiles',
      },
      logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
      // A failed invocation is retried twice by Lambda, then kept in the dead-letter queue (the event itself).
      retryAttempts: 2,
      deadLetterQueue: this.deadLetters,
      bundling: { minify: true, sourceMap: true, logLevel: LogLevel.WARNING },
    });
    this.idempotency.grantReadWriteData(this.function);

    this.rule = new events.Rule(this, 'ProfileApproved', {
      eventBus: bus,
      description: 'Amani profile approvals (both status spellings) to the approved-profiles consumer',
      eventPattern: toCdkEventPattern(
        amaniEventPattern({ source: eventSource, events: ['profile_status_change'], statuses: ['APPROVED'] }),
      ),
    });
    this.rule.addTarget(
      new targets.LambdaFunction(this.function, {
        // EventBridge's own retries when it cannot invoke the function (throttling, permissions), then the same queue.
        retryAttempts: 8,
        maxEventAge: Duration.hours(24),
        deadLetterQueue: this.deadLetters,
      }),
    );
  }
}
