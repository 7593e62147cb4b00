import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IDependable } from 'constructs';
import { API_STAGE_NAME, type ApiMetrics, accessLogGroup, WEBHOOK_PATH, type WebhookEndpoint } from './webhook-api';

/**
 * Access-log fields of the HTTP API (its own `$context` variables): request metadata only, as on
 * the REST API. Nothing from the body, no header but the user agent, no query string, no path
 * (the route key says which route answered).
 */
export const HTTP_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationErrorMessage: '$context.integrationErrorMessage',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
};

export interface HttpWebhookApiProps {
  readonly stage: string;
  readonly receiver: lambda.IFunction;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  readonly logRetentionDays: logs.RetentionDays;
}

/**
 * The HTTP API alternative (`api=http`): `POST /webhook` on stage `v1`, Lambda proxy integration
 * with payload format 2.0, stage throttling and JSON access logs, at $1.00 per million requests
 * against the REST API's $3.50 (us-east-1; HTTP API requests are metered per 512 KB, so a 1 MiB
 * delivery counts twice).
 *
 * What it gives up, and why the REST API stays the default: an HTTP API takes no WAF web ACL and
 * no resource policy (so no `waf`, `webAclArn` or `allowedSourceCidrs`), has no X-Ray tracing,
 * and hands text bodies over as strings (binary content types base64-encoded): a body declared as
 * text that is not valid UTF-8 cannot be verified byte for byte and is refused with 401, which the
 * REST API's binary media type `*\/*` avoids. Amani sends JSON, valid UTF-8, so deliveries verify
 * the same; lambda/receiver/api-gateway.ts reads both payload formats.
 */
export class HttpWebhookApi extends Construct implements WebhookEndpoint {
  readonly type = 'http';
  readonly api: apigwv2.HttpApi;
  readonly accessLogGroup: logs.LogGroup;
  readonly webhookUrl: string;
  readonly apiId: string;
  readonly stageName = API_STAGE_NAME;
  readonly stage: IDependable;
  readonly metrics: ApiMetrics;

  constructor(scope: Construct, id: string, props: HttpWebhookApiProps) {
    super(scope, id);

    this.accessLogGroup = accessLogGroup(this, props.logRetentionDays);

    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: `amani-webhooks-${props.stage}`,
      description: `Receives Amani KYC webhooks (${props.stage})`,
      createDefaultStage: false,
    });
    const [route] = this.api.addRoutes({
      path: `/${WEBHOOK_PATH}`,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Receiver', props.receiver, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    const stage = this.api.addStage('Stage', {
      stageName: API_STAGE_NAME,
      autoDeploy: true,
      throttle: { rateLimit: props.throttlingRateLimit, burstLimit: props.throttlingBurstLimit },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(HTTP_ACCESS_LOG_FIELDS)),
      },
      detailedMetricsEnabled: false,
    });

    this.webhookUrl = `${stage.url}/${WEBHOOK_PATH}`;
    this.apiId = this.api.apiId;
    this.stage = stage;
    this.metrics = this.api;

    if (route) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Amani cannot present AWS credentials, a JWT or a Lambda-authorizer token; every delivery is authenticated by the receiver itself (HMAC-SHA256 signature or webhook token, constant-time compare, 401 otherwise), as the contract requires.',
      });
    }
  }
}
