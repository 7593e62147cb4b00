import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { WEBHOOK_PATH, type WebhookEndpoint } from './webhook-api';

export interface WebhookDomainProps {
  /** e.g. `webhooks.example.com`. */
  readonly domainName: string;
  /** ACM certificate for that name, in the stack's region (a regional endpoint). */
  readonly certificateArn: string;
  /** Route 53 public hosted zone to create the alias record in; absent: the operator points DNS at `regionalDomainName`. */
  readonly hostedZoneId?: string;
  /** The API the name serves (REST or HTTP). */
  readonly endpoint: WebhookEndpoint;
}

/**
 * A custom domain for the webhook: `https://<domainName>/webhook` is the URL registered with
 * Amani, and it stays the same when the API behind it is replaced (`api=rest` to `api=http` and
 * back, a rebuilt API, a new stage): only the API mapping moves, in place, to the new API.
 *
 * One resource type serves both API types: an API Gateway v2 domain name with a v2 API mapping
 * (v2 mappings take REST APIs as well as HTTP APIs). A v1 domain with a base path mapping would
 * work for REST only, and switching types would then have to create a second domain of the same
 * name before deleting the first, which API Gateway refuses. The logical ids here do not depend
 * on the API type for the same reason. TLS 1.2 at least; a regional endpoint (the certificate is
 * in the stack's region). With `hostedZoneId`, an alias A record points the name at API Gateway;
 * without, the operator creates a CNAME (or alias) to the `CustomDomainTarget` output.
 */
export class WebhookDomain extends Construct {
  readonly domain: apigwv2.CfnDomainName;
  readonly webhookUrl: string;
  /** The API Gateway hostname the name must resolve to (CNAME or alias target). */
  readonly regionalDomainName: string;
  readonly aliasRecord?: route53.CfnRecordSet;

  constructor(scope: Construct, id: string, props: WebhookDomainProps) {
    super(scope, id);
    this.domain = new apigwv2.CfnDomainName(this, 'Domain', {
      domainName: props.domainName,
      domainNameConfigurations: [{ certificateArn: props.certificateArn, endpointType: 'REGIONAL', securityPolicy: 'TLS_1_2' }],
    });
    // No mapping key: the API's stage is the root of the domain, so the path is /webhook whatever
    // the stage is called.
    const mapping = new apigwv2.CfnApiMapping(this, 'Mapping', {
      domainName: this.domain.ref,
      apiId: props.endpoint.apiId,
      stage: props.endpoint.stageName,
    });
    mapping.node.addDependency(props.endpoint.stage);
    this.regionalDomainName = this.domain.attrRegionalDomainName;
    this.webhookUrl = `https://${props.domainName}/${WEBHOOK_PATH}`;

    if (props.hostedZoneId) {
      this.aliasRecord = new route53.CfnRecordSet(this, 'Alias', {
        hostedZoneId: props.hostedZoneId,
        name: `${props.domainName}.`,
        type: 'A',
        aliasTarget: {
          dnsName: this.domain.attrRegionalDomainName,
          hostedZoneId: this.domain.attrRegionalHostedZoneId,
          evaluateTargetHealth: false,
        },
      });
    }
  }
}
