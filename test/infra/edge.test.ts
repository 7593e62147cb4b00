/**
 * The edge of the stack (infra/constructs/web-firewall.ts, webhook-api.ts, http-webhook-api.ts,
 * webhook-domain.ts; docs/deployment.md "The edge"): the WAF web ACL, the source allowlist, the
 * HTTP API option, the custom domain and the receiver's reserved concurrency, as synthesised.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_RECEIVER_RESERVED_CONCURRENCY } from '../../infra/config';
import { HTTP_ACCESS_LOG_FIELDS } from '../../infra/constructs/http-webhook-api';
import { decimalGreaterThan } from '../../infra/constructs/web-firewall';
import { RECEIVER_MAX_BODY_BYTES } from '../../infra/stack';
import { getAtt, logicalId, ref, resources, synthesize } from './stack-harness';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:oncall';
const PROD = { stage: 'prod', alarmTopicArn: TOPIC };
const DOMAIN = {
  domainName: 'webhooks.example.com',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab',
};

type Resource = { Type: string; Properties?: Record<string, unknown>; DependsOn?: string[] };
const ofType = (all: Record<string, Resource>, type: string) => Object.entries(all).filter(([, resource]) => resource.Type === type);

describe('decimalGreaterThan: the Content-Length pattern', () => {
  test('matches exactly the numbers above the limit, leading zeros included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 10 }), fc.integer({ min: 0, max: 10 ** 11 }), fc.nat(3), (limit, value, zeros) => {
        const pattern = new RegExp(decimalGreaterThan(limit));
        return pattern.test(`${'0'.repeat(zeros)}${value}`) === value > limit;
      }),
    );
  });

  test('matches nothing that is not a plain decimal number', () => {
    const pattern = new RegExp(decimalGreaterThan(RECEIVER_MAX_BODY_BYTES));
    for (const text of ['', ' 2000000', '2000000 ', '+2000000', '-2000000', '2e9', '0x200000', '2000000, 1', 'abc']) {
      expect({ text, matches: pattern.test(text) }).toEqual({ text, matches: false });
    }
    expect(pattern.test(String(RECEIVER_MAX_BODY_BYTES))).toBe(false);
    expect(pattern.test(String(RECEIVER_MAX_BODY_BYTES + 1))).toBe(true);
  });

  test('fits WAF (200 characters) for every MAX_BODY_BYTES the receiver accepts', () => {
    for (const limit of [1024, 65_535, RECEIVER_MAX_BODY_BYTES, 9_999_999, 10 * 1024 * 1024]) {
      expect(decimalGreaterThan(limit).length).toBeLessThanOrEqual(200);
    }
  });
});

describe('WAF web ACL', () => {
  test('on by default for a production REST stage: two rules on the stage, no managed rule group, no sampled requests', () => {
    const { template } = synthesize(PROD);
    const all = resources(template);
    const [[aclId, acl]] = ofType(all, 'AWS::WAFv2::WebACL') as [[string, Resource]];
    const properties = acl.Properties as Record<string, unknown>;
    expect(properties).toMatchObject({ Name: 'amani-webhooks-prod', Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const rules = properties.Rules as { Name: string; Statement: Record<string, unknown>; Action: unknown }[];
    expect(rules.map((rule) => rule.Name)).toEqual(['PerIpRateLimit', 'DeclaredBodyTooLarge']);
    // Half the stage's capacity per minute (50 requests per second by default) from one address.
    expect(rules[0]).toMatchObject({
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', EvaluationWindowSec: 60, Limit: 1500 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
    });
    expect(rules[1]).toMatchObject({
      Statement: {
        RegexMatchStatement: {
          FieldToMatch: { SingleHeader: { Name: 'content-length' } },
          RegexString: decimalGreaterThan(RECEIVER_MAX_BODY_BYTES),
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 413 } } },
    });
    const text = JSON.stringify(properties);
    expect(text).not.toContain('ManagedRuleGroupStatement');
    expect(text).not.toContain('"Body"');
    // A sampled request keeps its headers: the webhook token in token mode.
    expect(text).not.toMatch(/"SampledRequestsEnabled":true/);
    expect(text.match(/"SampledRequestsEnabled":false/g)).toHaveLength(3);

    const stage = logicalId(template, 'AWS::ApiGateway::Stage', 'WebhookApi');
    const api = logicalId(template, 'AWS::ApiGateway::RestApi', 'WebhookApi');
    const [[, association], ...more] = ofType(all, 'AWS::WAFv2::WebACLAssociation') as [[string, Resource], ...[string, Resource][]];
    expect(more).toHaveLength(0);
    expect(association!.Properties!.WebACLArn).toEqual(getAtt(aclId));
    expect(JSON.stringify(association!.Properties!.ResourceArn)).toContain(JSON.stringify(ref(stage)));
    expect(JSON.stringify(association!.Properties!.ResourceArn)).toContain(JSON.stringify(ref(api)));
    template.hasOutput('WebAclArn', { Value: getAtt(aclId) });
  });

  test('off by default outside production; on with waf=true; the rate follows the throttle or wafRequestsPerIpPerMinute', () => {
    expect(ofType(resources(synthesize().template), 'AWS::WAFv2::WebACL')).toHaveLength(0);
    expect(ofType(resources(synthesize().template), 'AWS::WAFv2::WebACLAssociation')).toHaveLength(0);
    const limit = (context: Record<string, unknown>) => {
      const [[, acl]] = ofType(resources(synthesize(context).template), 'AWS::WAFv2::WebACL') as [[string, Resource]];
      return (acl.Properties!.Rules as { Statement: { RateBasedStatement?: { Limit: number } } }[])[0]!.Statement.RateBasedStatement!.Limit;
    };
    expect(limit({ waf: 'true', throttlingRateLimit: 200 })).toBe(6000);
    expect(limit({ waf: 'true', wafRequestsPerIpPerMinute: '120' })).toBe(120);
    expect(ofType(resources(synthesize({ ...PROD, waf: 'false' }).template), 'AWS::WAFv2::WebACL')).toHaveLength(0);
  });

  test('webAclArn attaches an existing web ACL instead, production included (the stack creates none)', () => {
    const existing = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/corporate/0123';
    const all = resources(synthesize({ ...PROD, webAclArn: existing }).template);
    expect(ofType(all, 'AWS::WAFv2::WebACL')).toHaveLength(0);
    const associations = ofType(all, 'AWS::WAFv2::WebACLAssociation');
    expect(associations.map(([, association]) => association.Properties!.WebACLArn)).toEqual([existing]);
  });
});

describe('allowedSourceCidrs: the REST API resource policy', () => {
  test('anyone may POST the webhook, and every request from outside the ranges is denied', () => {
    const { template } = synthesize({ allowedSourceCidrs: '203.0.113.0/24,2001:db8::/32, 198.51.100.7' });
    const api = logicalId(template, 'AWS::ApiGateway::RestApi', 'WebhookApi');
    expect(resources(template)[api]!.Properties!.Policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AnyoneMayPostTheWebhook',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*/POST/webhook',
        },
        {
          Sid: 'OnlyFromAllowedSourceRanges',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: { NotIpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7/32'] } },
        },
      ],
    });
    expect(
      resources(synthesize().template)[logicalId(synthesize().template, 'AWS::ApiGateway::RestApi', 'WebhookApi')]!.Properties!.Policy,
    ).toBeUndefined();
  });

  test('a changed allowlist is a new deployment of the stage (a REST API policy is enforced from its next deployment)', () => {
    const deployment = (cidrs?: string) => {
      const { template } = synthesize(cidrs ? { allowedSourceCidrs: cidrs } : {});
      const id = logicalId(template, 'AWS::ApiGateway::Deployment', 'WebhookApiDeployment');
      template.hasResourceProperties('AWS::ApiGateway::Stage', { DeploymentId: ref(id) });
      return id;
    };
    const none = deployment();
    const one = deployment('203.0.113.0/24');
    const two = deployment('203.0.113.0/24,198.51.100.0/24');
    expect(new Set([none, one, two]).size).toBe(3);
    expect(deployment('203.0.113.0/24')).toBe(one);
  });
});

describe('api=http', () => {
  const { template } = synthesize({ api: 'http', throttlingRateLimit: 20, throttlingBurstLimit: 40 });
  const all = resources(template);
  const api = logicalId(template, 'AWS::ApiGatewayV2::Api', 'WebhookHttpApi');
  const receiver = logicalId(template, 'AWS::Lambda::Function', 'ReceiverFunction');

  test('one HTTP API with one route, POST /webhook, payload format 2.0 to the receiver, and no REST API', () => {
    expect(all[api]!.Properties).toMatchObject({ Name: 'amani-webhooks-dev', ProtocolType: 'HTTP' });
    expect(ofType(all, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties!.RouteKey)).toEqual(['POST /webhook']);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhook', AuthorizationType: 'NONE' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: ref(api),
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(receiver),
      PayloadFormatVersion: '2.0',
    });
    for (const type of ['AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Account', 'AWS::WAFv2::WebACL', 'AWS::WAFv2::WebACLAssociation']) {
      expect({ type, count: ofType(all, type).length }).toEqual({ type, count: 0 });
    }
    const permissions = template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: getAtt(receiver) } });
    expect(Object.keys(permissions)).toHaveLength(1);
  });

  test('stage v1: deployed on change, throttled from context, JSON access logs of request metadata only', () => {
    const [[, stage], ...more] = ofType(all, 'AWS::ApiGatewayV2::Stage') as [[string, Resource], ...[string, Resource][]];
    expect(more).toHaveLength(0);
    expect(stage!.Properties).toMatchObject({
      StageName: 'v1',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, DetailedMetricsEnabled: false },
    });
    const settings = stage!.Properties!.AccessLogSettings as { Format: string; DestinationArn: unknown };
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toEqual(HTTP_ACCESS_LOG_FIELDS);
    for (const variable of Object.values(format)) {
      expect(variable).toMatch(/^\$context\.[A-Za-z.]+$/);
      expect(variable).not.toMatch(/body|header|querystring|path|authorizer|cookie/i);
    }
    const group = logicalId(template, 'AWS::Logs::LogGroup', 'WebhookHttpApiAccessLogs');
    expect(settings.DestinationArn).toEqual(getAtt(group));
  });

  test('the URL registered with Amani and the outputs', () => {
    const url = { 'Fn::Join': ['', Match.arrayWith([ref(api), Match.stringLikeRegexp('/v1/webhook$')])] };
    template.hasOutput('WebhookUrl', { Value: url });
    template.hasOutput('ApiType', { Value: 'http' });
    template.hasResourceProperties('Custom::AmaniWebhookRegistration', { WebhookUrl: url });
  });

  test('the ApiServerErrors alarm watches the HTTP API', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'amani-webhooks-dev-ApiServerErrors',
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: ref(api) }],
    });
  });
});

describe('custom domain', () => {
  const rest = synthesize({ ...DOMAIN, hostedZoneId: 'Z0123456789ABCDEFGHIJ' });
  const http = synthesize({ ...DOMAIN, api: 'http' });

  test('a regional TLS 1.2 domain, its API mapped at the root, the URL registered with Amani on it', () => {
    const all = resources(rest.template);
    const [[domain, resource]] = ofType(all, 'AWS::ApiGatewayV2::DomainName') as [[string, Resource]];
    const { Tags: _tags, ...properties } = resource.Properties as Record<string, unknown>;
    expect(properties).toEqual({
      DomainName: 'webhooks.example.com',
      DomainNameConfigurations: [{ CertificateArn: DOMAIN.certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    const api = logicalId(rest.template, 'AWS::ApiGateway::RestApi', 'WebhookApi');
    const stage = logicalId(rest.template, 'AWS::ApiGateway::Stage', 'WebhookApi');
    const [[, mapping]] = ofType(all, 'AWS::ApiGatewayV2::ApiMapping') as [[string, Resource]];
    expect(mapping.Properties).toEqual({ DomainName: ref(domain), ApiId: ref(api), Stage: 'v1' });
    expect(mapping.DependsOn).toEqual(expect.arrayContaining([stage]));
    rest.template.hasOutput('WebhookUrl', { Value: 'https://webhooks.example.com/webhook' });
    rest.template.hasOutput('CustomDomainTarget', { Value: getAtt(domain, 'RegionalDomainName') });
    rest.template.hasResourceProperties('Custom::AmaniWebhookRegistration', { WebhookUrl: 'https://webhooks.example.com/webhook' });
  });

  test('with hostedZoneId: an alias record, in place before Amani learns the URL', () => {
    const all = resources(rest.template);
    const [[record, resource]] = ofType(all, 'AWS::Route53::RecordSet') as [[string, Resource]];
    const domain = logicalId(rest.template, 'AWS::ApiGatewayV2::DomainName', 'WebhookDomain');
    expect(resource.Properties).toEqual({
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      Name: 'webhooks.example.com.',
      Type: 'A',
      AliasTarget: {
        DNSName: getAtt(domain, 'RegionalDomainName'),
        HostedZoneId: getAtt(domain, 'RegionalHostedZoneId'),
        EvaluateTargetHealth: false,
      },
    });
    const registration = logicalId(rest.template, 'Custom::AmaniWebhookRegistration', 'AmaniRegistration');
    expect(all[registration]!.DependsOn).toEqual(
      expect.arrayContaining([record, logicalId(rest.template, 'AWS::ApiGatewayV2::ApiMapping', 'WebhookDomain')]),
    );
    expect(ofType(resources(http.template), 'AWS::Route53::RecordSet')).toHaveLength(0);
  });

  test('the URL survives replacing the API: same domain resource and mapping ids, only the mapping moves', () => {
    const pick = (template: typeof rest.template) => {
      const domain = logicalId(template, 'AWS::ApiGatewayV2::DomainName', 'WebhookDomain');
      const mapping = logicalId(template, 'AWS::ApiGatewayV2::ApiMapping', 'WebhookDomain');
      return { domain, mapping, all: resources(template), url: template.toJSON().Outputs.WebhookUrl.Value };
    };
    const before = pick(synthesize(DOMAIN).template);
    const after = pick(http.template);
    expect(after.domain).toBe(before.domain);
    expect(after.mapping).toBe(before.mapping);
    expect(after.all[after.domain]).toEqual(before.all[before.domain]);
    expect(after.url).toBe(before.url);
    // In place: the mapping keeps its id and domain and takes the HTTP API.
    expect(after.all[after.mapping]!.Properties).toEqual({
      DomainName: ref(after.domain),
      ApiId: ref(logicalId(http.template, 'AWS::ApiGatewayV2::Api', 'WebhookHttpApi')),
      Stage: 'v1',
    });
  });
});

describe('receiver reserved concurrency', () => {
  const reserved = (context: Record<string, unknown>) => {
    const { template } = synthesize(context);
    const all = resources(template);
    const of = (prefix: string) => all[logicalId(template, 'AWS::Lambda::Function', prefix)]!.Properties!.ReservedConcurrentExecutions;
    return { receiver: of('ReceiverFunction'), rotator: of('RotationRotatorFunction') };
  };

  test(`${DEFAULT_RECEIVER_RESERVED_CONCURRENCY} by default, configurable, 0 for none; the rotator keeps its own`, () => {
    expect(reserved({})).toEqual({ receiver: DEFAULT_RECEIVER_RESERVED_CONCURRENCY, rotator: 1 });
    expect(reserved({ receiverReservedConcurrency: '25' }).receiver).toBe(25);
    expect(reserved({ receiverReservedConcurrency: 0 }).receiver).toBeUndefined();
  });

  test('the receiver is told MAX_BODY_BYTES, the size the web ACL checks', () => {
    const { template } = synthesize();
    const receiver = logicalId(template, 'AWS::Lambda::Function', 'ReceiverFunction');
    const variables = (resources(template)[receiver]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.MAX_BODY_BYTES).toBe(String(RECEIVER_MAX_BODY_BYTES));
  });
});
