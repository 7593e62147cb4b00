import { type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { LEDGER_SCHEMA } from '../../lambda/core/delivery-ledger';

export interface DeliveryLedgerTableProps {
  readonly stage: string;
  readonly key: kms.IKey;
  /** Point-in-time recovery (production stages). */
  readonly pointInTimeRecovery: boolean;
  /** RETAIN in production, like the other data. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The deduplication store and delivery ledger (lambda/core/delivery-ledger.ts): one item per
 * delivery id, on-demand, expired by TTL after the deduplication window, encrypted with the stack
 * key, and a global index by UTC day and receipt time so that the CLI lists recent deliveries
 * newest first without a scan. Items hold ids, names, times, hashes and counts only: no body, no
 * personal data.
 *
 * The index's partition is the day: every write of a day lands in one index partition, which
 * DynamoDB serves up to 1,000 writes per second; webhook volumes stay far below that (a throttled
 * index would throttle the claim, and the receiver then publishes unchecked: no delivery is lost).
 */
export class DeliveryLedgerTable extends Construct {
  readonly table: dynamodb.Table;
  /** What an operator needs for `deliveries`, `delivery` and `replay --dry-run`: attach it to their role. */
  readonly readPolicy: iam.ManagedPolicy;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: DeliveryLedgerTableProps) {
    super(scope, id);
    this.key = props.key;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: LEDGER_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_SCHEMA.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery },
      removalPolicy: props.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LEDGER_SCHEMA.timeIndex,
      partitionKey: { name: LEDGER_SCHEMA.timeIndexPartitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_SCHEMA.timeIndexSortKey, type: dynamodb.AttributeType.STRING },
      // Keys and the event name only: settling a delivery and counting its copies then write no
      // index entry (one write request unit less per delivery); the CLI reads the records by key.
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['eventName'],
    });
    if (!props.pointInTimeRecovery) {
      Validations.of(this.table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason: `Non-production stage (${props.stage}): the ledger only deduplicates and describes recent deliveries, and expires them after the deduplication window; production stages turn point-in-time recovery on.`,
      });
    }

    this.readPolicy = new iam.ManagedPolicy(this, 'ReadPolicy', {
      description: `amani-webhooks ${props.stage}: read the delivery ledger (npx amani-webhooks deliveries, delivery, replay --dry-run)`,
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadDeliveryLedger',
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
          resources: [this.table.tableArn, `${this.table.tableArn}/index/${LEDGER_SCHEMA.timeIndex}`],
        }),
        this.keyStatement('DeliveryLedgerKmsRead', ['kms:Decrypt']),
      ],
    });
  }

  /** The item operations the receiver's protocol uses on this table, and the key use they need. */
  grantDeduplication(grantee: iam.IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DeduplicateDeliveries',
        actions: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.table.tableArn],
      }),
    );
    principal.addToPrincipalPolicy(this.keyStatement('DeliveryLedgerKms', ['kms:Decrypt', 'kms:GenerateDataKey']));
  }

  /** The stack key, through DynamoDB only, for this table only (its encryption context). */
  private keyStatement(sid: string, actions: string[]): iam.PolicyStatement {
    const stack = Stack.of(this);
    return new iam.PolicyStatement({
      sid,
      actions,
      resources: [this.key.keyArn],
      conditions: {
        StringEquals: {
          'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}`,
          'kms:EncryptionContext:aws:dynamodb:tableName': this.table.tableName,
        },
      },
    });
  }
}
