import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { WebhookEventBus } from './event-bus';
import type { FallbackQueue } from './fallback-queue';

export interface OperatorRoleProps {
  readonly stage: string;
  readonly events: WebhookEventBus;
  readonly fallback: FallbackQueue;
}

/**
 * The role an operator assumes to redrive parked deliveries and to replay the archive (output
 * `OperatorRoleArn`). The bus policy lets only the receiver and this role put events of the
 * product's source on the bus, so a redrive with anyone else's credentials is refused, however
 * broad their IAM permissions.
 *
 * Trust: principals of this account whose own IAM policies allow sts:AssumeRole on this role
 * (the account decides who operates the stage; CloudTrail shows who assumed it). Permissions:
 * find the stack (the CLI reads its outputs), receive/delete/release messages of the fallback
 * queue and decrypt them, put events of the product's source on the bus, start and follow replays
 * of the archive. One-hour sessions.
 */
export class OperatorRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: OperatorRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: `amani-webhooks ${props.stage}: redrive the fallback queue and replay the archive (the bus accepts the product's events from the receiver and this role only)`,
      maxSessionDuration: Duration.hours(1),
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'FindTheStack', actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }),
    );
    props.fallback.grantRedrive(this.role);
    props.events.grantPutEvents(this.role);
    props.events.grantReplay(this.role);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:replay/${props.events.busName}-*]`,
      reason:
        "Replays are named by the operator when starting one (events:StartReplay); the statement is limited to replays named after this stage's bus (amani-webhooks-<stage>-...), which is how docs/deployment.md names them, so the role can follow and cancel its own replays and no other.",
    });
  }
}
