/**
 * `npx cdk synth -c amaniEventBusArn=<EventBusArn output> [-c amaniEventSource=<EventSource output>]`
 * (read them with `aws cloudformation describe-stacks --stack-name AmaniWebhooks-<stage> --query 'Stacks[0].Outputs'`).
 */
import { App } from 'aws-cdk-lib';
import { ConsumerStack } from '../lib/consumer-stack';

const app = new App();
const eventBusArn = app.node.tryGetContext('amaniEventBusArn') as string | undefined;
if (!eventBusArn || !/^arn:aws[\w-]*:events:[\w-]+:\d{12}:event-bus\/.+$/.test(eventBusArn))
  throw new Error(
    'Pass the amani-webhooks bus: -c amaniEventBusArn=arn:aws:events:<region>:<account>:event-bus/amani-webhooks-<stage> (its EventBusArn output)',
  );
new ConsumerStack(app, 'AmaniApprovedProfiles', {
  eventBusArn,
  eventSource: (app.node.tryGetContext('amaniEventSource') as string | undefined) ?? 'amani',
  // Rules live in the bus's account and region.
  env: { account: eventBusArn.split(':')[4], region: eventBusArn.split(':')[3] },
});
