import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IDependable } from 'constructs';

/** The route Amani posts to: `<api url>/webhook`. */
export const WEBHOOK_PATH = 'webhook';
export const API_STAGE_NAME = 'v1';

/** The API Gateway metrics the alarms and the dashboard read (REST and HTTP APIs both have them). */
export interface ApiMetrics {
  metricCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricClientError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricServerError(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** What the rest of the stack needs of the API in front of the receiver, whichever type it is. */
export interface WebhookEndpoint {
  readonly type: 'rest' | 'http';
  /** `https://<api id>.execute-api.<region>.<suffix>/v1/webhook`. */
  readonly webhookUrl: string;
  readonly apiId: string;
  readonly stageName: string;
  /** The stage resource: a custom domain's API mapping needs it in place first. */
  readonly stage: IDependable;
  readonly metrics: ApiMetrics;
}

const F = apigateway.AccessLogField;

/**
 * Access-log fields: request metadata only. Nothing from the body, no header except the user
 * agent, no query string: signatures, tokens and the personal data in deliveries never reach
 * the access log. (`$context.error.message` is API Gateway's own text, e.g. "Missing
 * Authentication Token".)
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: F.contextRequestId(),
  extendedRequestId: F.contextExtendedRequestId(),
  requestTime: F.contextRequestTime(),
  httpMethod: F.contextHttpMethod(),
  resourcePath: F.contextResourcePath(),
  protocol: F.contextProtocol(),
  status: F.contextStatus(),
  responseLength: F.contextResponseLength(),
  responseLatency: F.contextResponseLatency(),
  integrationStatus: F.contextIntegrationStatus(),
  integrationLatency: F.contextIntegrationLatency(),
  errorMessage: F.contextErrorMessage(),
  errorResponseType: F.contextErrorResponseType(),
  sourceIp: F.contextIdentitySourceIp(),
  userAgent: F.contextIdentityUserAgent(),
  xrayTraceId: F.contextXrayTraceId(),
};

export interface WebhookApiProps {
  readonly stage: string;
  readonly receiver: lambda.IFunction;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly tracing: boolean;
  readonly logRetentionDays: logs.RetentionDays;
  /** A regional WAFv2 web ACL for the stage: the stack's own (WebhookFirewall) or an existing one. */
  readonly webAclArn?: string;
  /** Only these source ranges may call the API (resource policy); absent: any address. */
  readonly allowedSourceCidrs?: readonly string[];
  /** Create the account-level role API Gateway logs to CloudWatch with (needed once per account and region). */
  readonly cloudWatchRole: boolean;
}

/**
 * The regional REST API Amani calls (`api=rest`, the default): `POST /webhook`, Lambda proxy
 * integration to the receiver.
 *
 * `binaryMediaTypes: ['*\/*']` makes API Gateway hand every body over base64-encoded, i.e.
 * byte-exact: signature verification needs the bytes Amani signed, and API Gateway would
 * otherwise re-encode text bodies. Stage throttling caps what an unauthenticated flood can cost;
 * a web ACL (WebFirewall or `webAclArn`) keeps a single-address flood from using it all up, and
 * `allowedSourceCidrs` refuses every other source with 403. What gets through reaches the
 * receiver, which rejects forgeries with 401.
 */
export class WebhookApi extends Construct implements WebhookEndpoint {
  readonly type = 'rest';
  readonly api: apigateway.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  readonly webhookUrl: string;
  readonly apiId: string;
  readonly stageName = API_STAGE_NAME;
  readonly stage: IDependable;
  readonly metrics: ApiMetrics;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);

    this.accessLogGroup = accessLogGroup(this, props.logRetentionDays);

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `amani-webhooks-${props.stage}`,
      description: `Receives Amani KYC webhooks (${props.stage})`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      binaryMediaTypes: ['*/*'],
      policy: props.allowedSourceCidrs ? sourceAllowlist(props.allowedSourceCidrs) : undefined,
      cloudWatchRole: props.cloudWatchRole,
      // The account-level setting outlives this stack: other APIs of the account may rely on it.
      cloudWatchRoleRemovalPolicy: props.cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: API_STAGE_NAME,
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Execution logs at ERROR only, and never request/response data (dataTrace would log bodies).
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: false,
        tracingEnabled: props.tracing,
      },
    });

    const webhook = this.api.root.addResource(WEBHOOK_PATH);
    const method = webhook.addMethod('POST', new apigateway.LambdaIntegration(props.receiver, { proxy: true, allowTestInvoke: false }), {
      authorizationType: apigateway.AuthorizationType.NONE,
      apiKeyRequired: false,
    });
    this.webhookUrl = this.api.urlForPath(`/${WEBHOOK_PATH}`);
    this.apiId = this.api.restApiId;
    this.stage = this.api.deploymentStage;
    this.metrics = this.api;
    // A REST API's resource policy takes effect with its next deployment, and CDK derives the
    // deployment's identity from the methods only: without this a changed allowlist would be
    // stored but not enforced.
    if (props.allowedSourceCidrs) this.api.latestDeployment?.addToLogicalId({ allowedSourceCidrs: props.allowedSourceCidrs });

    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Amani cannot present AWS credentials, a Cognito token or an API key; every delivery is authenticated by the receiver itself (HMAC-SHA256 signature or webhook token, constant-time compare, 401 otherwise), as the contract requires.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Amani is an external system without Cognito identities; deliveries are authenticated by their HMAC signature or webhook token in the receiver.',
      },
    );
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The body must reach the receiver byte-exact (binary media type */*) for signature verification, and the contract orders the answers: 401 for a missing or wrong signature before 400 for a malformed body. A request model would answer 400 to unauthenticated requests first and cannot check a base64-passed body anyway.',
    });

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          "Off by context (waf=false, the default outside production; or api=http). Generic managed rule groups would block legitimate KYC payloads (8 KB body size limit, SQLi/XSS patterns matching personal data), so the stack's own web ACL holds only a per-IP rate limit and a declared-size check; without it forged requests are still refused by signature verification and volume is capped by stage throttling and the receiver's reserved concurrency.",
      });
    }

    if (props.cloudWatchRole) {
      const role = this.api.node.tryFindChild('CloudWatchRole');
      if (role) {
        Validations.of(role).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
          reason:
            'The account-level role API Gateway uses for all its CloudWatch logging in this region: AWS documents this managed policy for it, and API Gateway itself chooses the log groups it writes to.',
        });
      }
    }
  }
}

/**
 * The REST API resource policy of `allowedSourceCidrs`: anyone may POST to the webhook (the
 * receiver authenticates the delivery), and every request from outside the ranges is denied by
 * API Gateway with 403 before it reaches the receiver or counts as a Lambda invocation.
 */
function sourceAllowlist(cidrs: readonly string[]): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        sid: 'AnyoneMayPostTheWebhook',
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: [`execute-api:/*/POST/${WEBHOOK_PATH}`],
      }),
      new iam.PolicyStatement({
        sid: 'OnlyFromAllowedSourceRanges',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { NotIpAddress: { 'aws:SourceIp': [...cidrs] } },
      }),
    ],
  });
}

/** The API's access-log group: retained with the stack, like every log group (audit). */
export function accessLogGroup(scope: Construct, retention: logs.RetentionDays): logs.LogGroup {
  return new logs.LogGroup(scope, 'AccessLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
}
