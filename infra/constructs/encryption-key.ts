import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * The stack's customer-managed key: it encrypts the webhook token secret, a credentials secret
 * the stack creates, the fallback queue (which holds authentic deliveries, i.e. personal data)
 * and the delivery ledger table. Yearly automatic rotation. The key policy only delegates to IAM in this account (CDK's
 * default): each role gets exactly the actions it needs through its own policy, conditioned on the
 * calling service and the encryption context of the one secret or queue it may touch.
 */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: { readonly stage: string; readonly removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `amani-webhooks ${props.stage}: webhook token secret, Amani credentials, fallback queue, delivery ledger`,
      enableKeyRotation: true,
      // Production retains the key with the secrets and the queue it encrypts. Otherwise deleting
      // the stack schedules it for deletion after the waiting period (cancel with
      // `aws kms cancel-key-deletion`; the secrets themselves are gone at once).
      removalPolicy: props.removalPolicy,
      pendingWindow: Duration.days(30),
    });
  }
}
