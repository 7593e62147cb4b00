import { ArnFormat, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface TokenSecretsProps {
  readonly stage: string;
  readonly key: kms.IKey;
  /** Name or ARN of an existing credentials secret (recommended); absent: the stack creates an empty one. */
  readonly credentialsSecret?: string;
  /** KMS key of that existing secret, when it is not the AWS managed `aws/secretsmanager` key. */
  readonly credentialsSecretKmsKeyArn?: string;
  /** RETAIN in production; CloudFormation deletes a secret without a recovery window otherwise. */
  readonly removalPolicy: RemovalPolicy;
}

/** A secret's identity for IAM: the ARN pattern policies name, and the id the functions call with. */
interface SecretReference {
  /** What goes in the functions' environment (ARN, or name for a secret known only by name). */
  readonly secretId: string;
  /** Full ARN, or a partial ARN (name without the random suffix) for a secret known by name. */
  readonly secretArn: string;
  /** Resource pattern for IAM statements and the SecretARN encryption-context condition. */
  readonly arnPattern: string;
  readonly exactArn: boolean;
  /** The customer-managed key to grant, if any (undefined: AWS managed key, granted by its own policy). */
  readonly key?: kms.IKey | string;
}

/**
 * Both secrets of the product.
 *
 * - The webhook token secret: its value belongs to the rotator. CloudFormation must not know it,
 *   so the stack creates the secret with a generated placeholder (`{"bootstrapPlaceholder":
 *   "<random>"}`): parsing it yields no `token`, which the contract defines as "not bootstrapped".
 * - The Amani API credentials secret: an existing secret named by context (recommended: its
 *   value never passes through any deployment), or one the stack creates with the same kind of
 *   placeholder for the operator to fill (`{"username","password"}` or `{"userToken"}`).
 *
 * Grants are explicit statements: one action list per use, on one secret, with KMS use
 * restricted to calls made by Secrets Manager for that very secret (encryption context).
 */
export class TokenSecrets extends Construct {
  readonly tokenSecret: secretsmanager.Secret;
  readonly credentials: SecretReference;
  /** Set when the stack created the credentials secret. */
  readonly createdCredentialsSecret?: secretsmanager.Secret;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: TokenSecretsProps) {
    super(scope, id);
    this.key = props.key;

    this.tokenSecret = new secretsmanager.Secret(this, 'WebhookToken', {
      description: `amani-webhooks ${props.stage}: Amani webhook token (written by the rotator; JSON {"token","previousToken","previousTokenValidUntil","rotatedAt"})`,
      encryptionKey: props.key,
      generateSecretString: placeholder(),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "The webhook token is rotated by this stack itself: an EventBridge Scheduler schedule (rotationSchedule) invokes the rotator, which asks Amani for a new token (PATCH /api/v2/webhook/token) and writes it here. Secrets Manager managed rotation cannot change the token on Amani's side.",
    });

    if (props.credentialsSecret) {
      this.credentials = importedSecret(this, props.credentialsSecret, props.credentialsSecretKmsKeyArn);
    } else {
      const created = new secretsmanager.Secret(this, 'AmaniCredentials', {
        description: `amani-webhooks ${props.stage}: Amani API credentials, fill with {"username","password"} or {"userToken"}`,
        encryptionKey: props.key,
        generateSecretString: placeholder(),
        removalPolicy: props.removalPolicy,
      });
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Holds the Amani API login (username/password or user token), which is issued and changed in Amani, not in AWS; a Secrets Manager rotation function has no Amani API to change it with. The operator updates the value when Amani credentials change.',
      });
      this.createdCredentialsSecret = created;
      this.credentials = {
        secretId: created.secretArn,
        secretArn: created.secretArn,
        arnPattern: created.secretArn,
        exactArn: true,
        key: props.key,
      };
    }
  }

  /** The receiver: read the token secret, nothing else. */
  grantReadToken(grantee: iam.IGrantable): void {
    const token = this.tokenReference();
    addStatements(grantee, 'Token', token, ['secretsmanager:GetSecretValue'], ['kms:Decrypt']);
  }

  /** The rotator: read and write the token secret (a new version per rotation). */
  grantReadWriteToken(grantee: iam.IGrantable): void {
    const token = this.tokenReference();
    addStatements(
      grantee,
      'Token',
      token,
      ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    );
  }

  /**
   * The token secret's resource policy: only `writers` (the rotator) may change its value. Every
   * other principal is denied the actions that write a value or move one into AWSCURRENT, even
   * with IAM permissions that allow them (administrators, the account root, CloudFormation's
   * execution role): a token written by anyone else is a token Amani does not sign with (every
   * delivery refused) or one an attacker knows (forged deliveries accepted).
   *
   * Reading is left to IAM (the receiver and the rotator, and operators whose CLI signs test
   * deliveries), and so are DescribeSecret and the policy actions themselves: deleting or
   * replacing this policy (secretsmanager:DeleteResourcePolicy / PutResourcePolicy, logged by
   * CloudTrail) is the break-glass path in docs/deployment.md. The secret's own properties are
   * fixed after creation: a deployment that changed them would need UpdateSecret, which this
   * policy denies to CloudFormation too; change the policy first.
   */
  restrictTokenWritesTo(writers: readonly iam.IRole[]): void {
    this.tokenSecret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheRotatorWritesTheToken',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: TOKEN_WRITE_ACTIONS,
        // In a secret's resource policy, "*" is the secret itself.
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': writers.map((role) => role.roleArn) } },
      }),
    );
  }

  /** The rotator and the registration: read the Amani credentials. */
  grantReadCredentials(grantee: iam.IGrantable): void {
    addStatements(grantee, 'Credentials', this.credentials, ['secretsmanager:GetSecretValue'], ['kms:Decrypt']);
  }

  private tokenReference(): SecretReference {
    const arn = this.tokenSecret.secretArn;
    return { secretId: arn, secretArn: arn, arnPattern: arn, exactArn: true, key: this.key };
  }
}

/** Every Secrets Manager action that writes a value into the secret or changes which version is current. */
export const TOKEN_WRITE_ACTIONS = [
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecret',
  'secretsmanager:UpdateSecretVersionStage',
  'secretsmanager:RotateSecret',
];

/** A generated value with a single key nobody reads: the secret exists, parsed it holds nothing. */
function placeholder(): secretsmanager.SecretStringGenerator {
  return {
    secretStringTemplate: JSON.stringify({}),
    generateStringKey: 'bootstrapPlaceholder',
    excludePunctuation: true,
    passwordLength: 16,
  };
}

const COMPLETE_ARN = /^arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

function importedSecret(scope: Construct, nameOrArn: string, kmsKeyArn?: string): SecretReference {
  if (COMPLETE_ARN.test(nameOrArn)) {
    return { secretId: nameOrArn, secretArn: nameOrArn, arnPattern: nameOrArn, exactArn: true, key: kmsKeyArn };
  }
  // A name, or an ARN without the random suffix Secrets Manager appends: match any suffix.
  const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':secret:')[1] as string) : nameOrArn;
  const partialArn = nameOrArn.startsWith('arn:')
    ? nameOrArn
    : Stack.of(scope).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
  return {
    secretId: nameOrArn.startsWith('arn:') ? nameOrArn : name,
    secretArn: partialArn,
    arnPattern: `${partialArn}-??????`,
    exactArn: false,
    key: kmsKeyArn,
  };
}

function addStatements(
  grantee: iam.IGrantable,
  label: string,
  secret: SecretReference,
  secretActions: string[],
  kmsActions: string[],
): void {
  const principal = grantee.grantPrincipal;
  const stack = Stack.of(principal as unknown as Construct);
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: `${label}Secret${secretActions.length > 1 ? 'ReadWrite' : 'Read'}`,
      actions: secretActions,
      resources: [secret.arnPattern],
    }),
  );
  if (!secret.key) return;
  const keyArn = typeof secret.key === 'string' ? secret.key : secret.key.keyArn;
  const viaService = `secretsmanager.${stack.region}.${stack.urlSuffix}`;
  principal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: `${label}SecretKms`,
      actions: kmsActions,
      resources: [keyArn],
      conditions: secret.exactArn
        ? { StringEquals: { 'kms:ViaService': viaService, 'kms:EncryptionContext:SecretARN': secret.arnPattern } }
        : { StringEquals: { 'kms:ViaService': viaService }, StringLike: { 'kms:EncryptionContext:SecretARN': secret.arnPattern } },
    }),
  );
}
