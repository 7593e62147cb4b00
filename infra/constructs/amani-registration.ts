import { Aws, CustomResource, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, type IConstruct } from 'constructs';
import { ACCOUNT_CLAIM_PATH, ACCOUNT_CLAIM_PROPERTY } from '../../lambda/core/account-claim';
import type { LogLevel } from '../../lambda/core/validators';
import { REGISTRATION_DEFAULTS, toRegistrationEnvironment } from '../../lambda/registration/env';
import type { AmaniEventName } from '../config';
import { grantAccountClaims } from './account-claims';
import { AppFunction, logicalIdOf } from './lambda-function';
import type { TokenSecrets } from './token-secrets';

export interface AmaniRegistrationProps {
  readonly secrets: TokenSecrets;
  readonly rotator: lambda.IFunction;
  readonly webhookUrl: string;
  readonly amaniBaseUrl: string;
  readonly signatureEnabled: boolean;
  readonly events: readonly AmaniEventName[];
  readonly disableEventsOnDelete: boolean;
  readonly metricsNamespace: string;
  readonly logLevel: LogLevel;
  readonly logRetentionDays: logs.RetentionDays;
  readonly tracing: boolean;
  /** Resources that must exist before Amani is told about the URL (the rotator and its permissions). */
  readonly dependsOn: readonly IConstruct[];
}

/**
 * Registers the webhook with Amani at deploy time (a CloudFormation custom resource backed by
 * lambda/registration): `PUT /api/v2/webhook` with the API's URL, `signature_enabled` from
 * authMode and the chosen events, then the rotator's sync bootstraps the token secret. Without
 * credentials yet it succeeds as "not registered" (attribute `Message`, stack output
 * RegistrationStatus) and the operator registers later with `{"action":"register"}`.
 *
 * One Amani account per stage: before registering, the function claims the Amani account for
 * this stack (an SSM parameter under ACCOUNT_CLAIM_PATH, shared by every stack of the AWS
 * account and region) and fails, naming the owner, when another stack holds it. Deletion
 * disables every event (disableEventsOnDelete) only when this stack owns the claim, then
 * releases the claim, and never fails.
 *
 * The function reads its configuration from its environment (so the operator's direct
 * invocation uses exactly what was deployed); the resource properties carry the same values so
 * that changing any of them re-runs the registration on the next deploy.
 */
export class AmaniRegistration extends Construct {
  readonly handler: AppFunction;
  readonly resource: CustomResource;
  /** "Registered ..." or the "not registered" instructions. */
  readonly statusMessage: string;

  constructor(scope: Construct, id: string, props: AmaniRegistrationProps) {
    super(scope, id);

    const environment = toRegistrationEnvironment({
      amaniBaseUrl: props.amaniBaseUrl,
      credentialsSecretId: props.secrets.credentials.secretId,
      rotatorFunctionName: props.rotator.functionName,
      webhookUrl: props.webhookUrl,
      signatureEnabled: props.signatureEnabled,
      enabledEvents: props.events,
      disableEventsOnDelete: props.disableEventsOnDelete,
      amaniTimeoutMs: REGISTRATION_DEFAULTS.amaniTimeoutMs,
      stack: { stackName: Aws.STACK_NAME, stackId: Aws.STACK_ID },
      observability: { serviceName: REGISTRATION_DEFAULTS.serviceName, metricsNamespace: props.metricsNamespace, logLevel: props.logLevel },
    });

    this.handler = new AppFunction(this, 'Handler', {
      entry: 'lambda/registration/index.ts',
      description: 'amani-webhooks registration: registers the webhook with Amani (custom resource)',
      memorySize: 256,
      // Amani PUT (retried, ~15 s at most), then the rotator's sync (up to its 2 minute timeout).
      timeout: Duration.minutes(5),
      logRetentionDays: props.logRetentionDays,
      tracing: props.tracing,
      environment,
    });
    props.secrets.grantReadCredentials(this.handler.role);
    grantAccountClaims(this.handler.role, ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], true);
    // The rotator's unqualified ARN only (no versions/aliases exist): no wildcard.
    this.handler.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'InvokeRotatorSync', actions: ['lambda:InvokeFunction'], resources: [props.rotator.functionArn] }),
    );

    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The framework function's own role: writing its log group and (added by the Provider)
    // invoking the registration function; CDK's default role would carry
    // AWSLambdaBasicExecutionRole, whose logs permissions span the account.
    const frameworkRole = new iam.Role(this, 'ProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'CDK provider framework (amani-webhooks registration custom resource)',
    });
    frameworkRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [frameworkLogs.logGroupArn],
      }),
    );
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.handler.function,
      logGroup: frameworkLogs,
      frameworkOnEventRole: frameworkRole,
    });
    acknowledgeProviderFramework(frameworkRole, this.handler.function);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::AmaniWebhookRegistration',
      properties: {
        WebhookUrl: environment.WEBHOOK_URL,
        AmaniBaseUrl: environment.AMANI_BASE_URL,
        CredentialsSecretId: environment.CREDENTIALS_SECRET_ID,
        SignatureEnabled: environment.SIGNATURE_ENABLED,
        EnabledEvents: environment.ENABLED_EVENTS,
        DisableEventsOnDelete: environment.DISABLE_EVENTS_ON_DELETE,
        // Also makes a stack deployed before account claims existed re-run the registration once,
        // which takes its claim; its absence tells the handler a rollback of that upgrade.
        [ACCOUNT_CLAIM_PROPERTY]: ACCOUNT_CLAIM_PATH,
      },
    });
    for (const dependency of props.dependsOn) this.resource.node.addDependency(dependency);
    this.statusMessage = this.resource.getAttString('Message');
  }
}

/** The finding left on the CDK-owned provider framework function (aws-cdk-lib/custom-resources). */
function acknowledgeProviderFramework(role: iam.IRole, onEvent: lambda.IFunction): void {
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(onEvent)}.Arn>:*]`,
    reason:
      'Added by the CDK provider framework (Function.grantInvoke): invoke permission on the registration function and its versions; the function has no published versions or aliases, so this names one function only.',
  });
}
