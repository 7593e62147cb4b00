import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildApp } from '../../infra/build-app';
import {
  AMANI_EVENTS,
  ContextConfigurationError,
  isCdkContextKey,
  parseContext,
  parseRotationSchedule,
  unknownContextKeys,
} from '../../infra/config';
import { cdkJsonContext, REPO_ROOT } from './stack-harness';

function problems(raw: Record<string, unknown>): string {
  try {
    parseContext(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ContextConfigurationError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('context defaults (contract)', () => {
  test('no context at all gives the contract defaults', () => {
    const config = parseContext({});
    expect(config).toMatchObject({
      stage: 'dev',
      amaniBaseUrl: 'https://eu.amani.ai',
      authMode: 'signature',
      signatureHeader: 'Webhook-Signature',
      tokenHeader: 'Webhook-Token',
      events: [...AMANI_EVENTS],
      eventSource: 'amani',
      rotationSchedule: 'rate(30 days)',
      previousTokenGraceMinutes: 60,
      secretCacheTtlSeconds: 60,
      metricsNamespace: 'AmaniWebhooks/dev',
      rotationIntervalHours: 720,
      rotationOverdueAfterHours: 768,
      disableEventsOnDelete: true,
      tracing: false,
      production: false,
    });
    expect(config.noTrafficAlarmHours).toBeUndefined();
    expect(AMANI_EVENTS).toHaveLength(10);
  });

  test('production: true for stage prod, or any stage with production=true; it needs an alarm topic', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';
    expect(parseContext({ stage: 'prod', alarmTopicArn: topic }).production).toBe(true);
    expect(parseContext({ stage: 'live', production: 'true', alarmTopicArn: topic }).production).toBe(true);
    expect(parseContext({ stage: 'staging', production: 'false' }).production).toBe(false);
    expect(parseContext({ stage: 'production' }).production).toBe(false);
  });

  test('cdk.json writes the same defaults, amaniBaseUrl included', () => {
    expect(parseContext(cdkJsonContext())).toEqual(parseContext({}));
    expect(cdkJsonContext().amaniBaseUrl).toBe('https://eu.amani.ai');
  });

  test('-c values arrive as strings: numbers, booleans and lists are read from them', () => {
    const config = parseContext({
      stage: 'prod',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall',
      previousTokenGraceMinutes: '30',
      tracing: 'true',
      disableEventsOnDelete: 'false',
      events: 'profile_status_change, document_upload',
      eventNamePaths: '["event","data.type"]',
      amaniBaseUrl: 'https://tr.amani.ai/',
      noTrafficAlarmHours: '24',
    });
    expect(config).toMatchObject({
      stage: 'prod',
      production: true,
      previousTokenGraceMinutes: 30,
      tracing: true,
      disableEventsOnDelete: false,
      events: ['profile_status_change', 'document_upload'],
      eventNamePaths: ['event', 'data.type'],
      amaniBaseUrl: 'https://tr.amani.ai',
      metricsNamespace: 'AmaniWebhooks/prod',
      noTrafficAlarmHours: 24,
    });
  });

  test('noTrafficAlarmHours: off unless set, 1 to 168 hours; empty turns it off again', () => {
    expect(parseContext({ noTrafficAlarmHours: 1 }).noTrafficAlarmHours).toBe(1);
    expect(parseContext({ noTrafficAlarmHours: '168' }).noTrafficAlarmHours).toBe(168);
    expect(parseContext({ noTrafficAlarmHours: '' }).noTrafficAlarmHours).toBeUndefined();
  });

  test('a loopback amaniBaseUrl may use http (local runs and tests)', () => {
    expect(parseContext({ amaniBaseUrl: 'http://127.0.0.1:4010' }).amaniBaseUrl).toBe('http://127.0.0.1:4010');
    expect(parseContext({ amaniBaseUrl: 'http://localhost:4010' }).amaniBaseUrl).toBe('http://localhost:4010');
  });

  test('rotation intervals: exact for rate(), a conservative bound for cron()', () => {
    expect(parseRotationSchedule('rate(12 hours)')).toEqual({ kind: 'rate', intervalHours: 12 });
    expect(parseRotationSchedule('cron(0 3 1 * ? *)')).toEqual({ kind: 'cron', intervalHours: 744 });
    expect(parseRotationSchedule('cron(0 3 ? * MON *)')).toEqual({ kind: 'cron', intervalHours: 168 });
    expect(parseContext({ rotationSchedule: 'rate(7 days)' }).rotationOverdueAfterHours).toBe(168 + 48);
    expect(parseContext({ rotationOverdueAfterHours: '100' }).rotationOverdueAfterHours).toBe(100);
  });
});

describe('invalid context fails with a message naming the key and what is allowed', () => {
  test.each([
    [{ authMode: 'hmac' }, '"authMode": must be \'signature\' or \'token\' (got "hmac")'],
    [{ amaniBaseUrl: 'http://eu.amani.ai' }, '"amaniBaseUrl": must be an https:// base URL'],
    [{ amaniBaseUrl: 'eu.amani.ai' }, '"amaniBaseUrl": must be an https:// base URL'],
    [{ amaniBaseUrl: 'https://eu.amani.ai/api/v2' }, 'without credentials, path, query or fragment'],
    [{ rotationSchedule: 'every 30 days' }, '"rotationSchedule": must be rate(<n> minutes|hours|days) or cron(<6 fields>)'],
    [{ rotationSchedule: 'rate(30 day)' }, '"rotationSchedule": use the plural unit'],
    [{ rotationSchedule: 'cron(0 3 * * *)' }, '"rotationSchedule": a cron expression has six fields'],
    [{ rotationSchedule: 'cron(0 3 * * * *)' }, '"rotationSchedule": exactly one of day-of-month and day-of-week must be ?'],
    [{ rotationSchedule: 'at(2030-01-01T00:00:00)' }, '"rotationSchedule": a one-time at() schedule cannot rotate repeatedly'],
    [{ events: ['profile_create', 'profile_deleted'] }, '"events": must name Amani events only: profile_create, profile_update'],
    [{ events: 'profile_create,profile_deleted' }, '(entry 2)'],
    [{ events: [] }, '"events": must enable at least one event'],
    [{ previousTokenGraceMinutes: -5 }, '"previousTokenGraceMinutes": must be a whole number from 0 to 10080'],
    [{ previousTokenGraceMinutes: '-5' }, '"previousTokenGraceMinutes": must be a whole number from 0 to 10080 (7 days) (got "-5")'],
    [{ previousTokenGraceMinutes: 1.5 }, '"previousTokenGraceMinutes": must be a whole number'],
    [
      { rotationSchedule: 'rate(1 hour)', previousTokenGraceMinutes: 60 },
      '"previousTokenGraceMinutes": must be shorter than the rotation interval (60 minutes',
    ],
    [{ secretCacheTtlSeconds: 0 }, '"secretCacheTtlSeconds": must be a whole number from 1 to 300'],
    [{ secretCacheTtlSeconds: '301' }, '"secretCacheTtlSeconds": must be a whole number from 1 to 300'],
    [
      { secretCacheTtlSeconds: 120, previousTokenGraceMinutes: 1 },
      '"previousTokenGraceMinutes": must be 0 (no previous token; the old one is refused within secretCacheTtlSeconds) or at least secretCacheTtlSeconds (120 s)',
    ],
    [{ stage: 'prod env' }, '"stage": letters, digits and hyphens'],
    [{ signatureHeader: 'Webhook Signature' }, '"signatureHeader": a valid HTTP header name'],
    [{ eventSource: 'aws.amani' }, '"eventSource": 1 to 256 characters without spaces, not starting with "aws."'],
    [{ tracing: 'yes' }, '"tracing": must be true or false'],
    [{ logRetentionDays: 10 }, '"logRetentionDays": must be one of the CloudWatch Logs retention periods'],
    [{ throttlingRateLimit: 0 }, '"throttlingRateLimit": must be a whole number from 1 to 10000'],
    [{ credentialsSecret: 'arn:aws:s3:::bucket' }, '"credentialsSecret": the name or ARN of an existing Secrets Manager secret'],
    [{ alarmTopicArn: 'ops-topic' }, '"alarmTopicArn": the ARN of an SNS topic'],
    [
      { credentialsSecretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/abc' },
      '"credentialsSecretKmsKeyArn": is only meaningful together with credentialsSecret',
    ],
    [{ metricsNamespace: 'AWS/Lambda' }, '"metricsNamespace"'],
    [
      { stage: 'prod' },
      '"alarmTopicArn": is required for a production stage (stage=prod or production=true): production alarms must page someone. Pass -c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic> (got nothing)',
    ],
    [{ stage: 'live', production: true }, '"alarmTopicArn": is required for a production stage'],
    [
      { stage: 'prod', production: 'false', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' },
      '"production": stage "prod" is always a production stage',
    ],
    [{ production: 'yes' }, '"production": must be true or false'],
    [
      { noTrafficAlarmHours: 0 },
      '"noTrafficAlarmHours": must be a whole number from 1 to 168 (hours without an accepted delivery before the NoDeliveries alarm fires; CloudWatch evaluates an alarm over at most 7 days); leave it unset for no alarm (got 0)',
    ],
    [{ noTrafficAlarmHours: '169' }, '"noTrafficAlarmHours": must be a whole number from 1 to 168 (hours'],
    [{ noTrafficAlarmHours: '2.5' }, '"noTrafficAlarmHours": must be a whole number from 1 to 168'],
    [{ noTrafficAlarmHours: 'true' }, '"noTrafficAlarmHours": must be a whole number from 1 to 168'],
    // --- the edge ---
    [{ api: 'graphql' }, `"api": must be 'rest' or 'http' (got "graphql")`],
    [
      { api: 'http', waf: 'true' },
      '"waf": cannot protect an HTTP API: API Gateway HTTP APIs cannot take a WAF web ACL. Use api=rest for WAF, or waf=false to deploy the HTTP API without one (got "true")',
    ],
    [
      { waf: true, webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/corporate/0123' },
      '"waf": true and webAclArn both attach a web ACL to the stage, which takes one',
    ],
    [
      { api: 'http', webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/corporate/0123' },
      '"webAclArn": cannot be attached to an HTTP API',
    ],
    [{ waf: 'on' }, '"waf": must be true or false'],
    [{ wafRequestsPerIpPerMinute: 100 }, '"wafRequestsPerIpPerMinute": is only meaningful with the stack\'s web ACL'],
    [{ waf: true, wafRequestsPerIpPerMinute: 9 }, '"wafRequestsPerIpPerMinute": must be a whole number from 10 to 2000000000'],
    [
      { allowedSourceCidrs: '203.0.113.0/24', api: 'http' },
      '"allowedSourceCidrs": needs a REST API: it is enforced by the API resource policy, and HTTP APIs have none',
    ],
    [
      { allowedSourceCidrs: '203.0.113.7/24' },
      '"allowedSourceCidrs": "203.0.113.7/24" has bits set after the /24 prefix: write the network address of the range (entry 1)',
    ],
    [
      { allowedSourceCidrs: ['10.0.0.0/8', '0.0.0.0/0'] },
      '"0.0.0.0/0" allows every address: leave allowedSourceCidrs unset instead (entry 2)',
    ],
    [{ allowedSourceCidrs: 'example.com' }, '"example.com" is not an IPv4 or IPv6 address or CIDR range'],
    [{ allowedSourceCidrs: '10.0.0.0/33' }, '"10.0.0.0/33": the prefix length must be 0 to 32'],
    [{ allowedSourceCidrs: '[]' }, '"allowedSourceCidrs": must list at least one range; leave it unset to accept every source address'],
    [
      { domainName: 'https://webhooks.example.com/' },
      '"domainName": a DNS name such as webhooks.example.com (no scheme, path or wildcard)',
    ],
    [{ domainName: '*.example.com' }, '"domainName": a DNS name'],
    [
      { domainName: 'webhooks.example.com' },
      '"certificateArn": is required with domainName: an ACM certificate for webhooks.example.com in the stack\'s region',
    ],
    [
      { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' },
      '"certificateArn": is only meaningful together with domainName',
    ],
    [
      { domainName: 'a.example.com', certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' },
      '"certificateArn": the ARN of an ACM certificate',
    ],
    [{ hostedZoneId: 'Z0123456789ABCDEFGHIJ' }, '"hostedZoneId": is only meaningful together with domainName'],
    [
      { domainName: 'a.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc', hostedZoneId: 'example.com' },
      '"hostedZoneId": a Route 53 hosted zone id',
    ],
    [{ receiverReservedConcurrency: -1 }, '"receiverReservedConcurrency": must be a whole number from 0 (no reservation) to 100000'],
  ])('%j', (raw, expected) => {
    expect(problems(raw)).toContain(expected);
  });

  test('every problem is reported at once', () => {
    const message = problems({ authMode: 'x', tokenHeader: 'a b', previousTokenGraceMinutes: -1 });
    expect(message).toContain('"authMode"');
    expect(message).toContain('"tokenHeader"');
    expect(message).toContain('"previousTokenGraceMinutes"');
  });

  test('a key that differs only in case is rejected, not ignored', () => {
    const app = new App({ context: { ...cdkJsonContext(), authmode: 'token', 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildApp(app)).toThrow('"authmode": unknown key; did you mean "authMode"?');
  });

  test('a near miss of a key is rejected (a misspelled production would silently deploy without retained data)', () => {
    const app = new App({ context: { ...cdkJsonContext(), prodution: 'true', alarmTopicArns: 'x', 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildApp(app)).toThrow('"prodution": unknown key; did you mean "production"?');
    expect(() => buildApp(new App({ context: { ...cdkJsonContext(), alarmTopicArns: 'x', 'aws:cdk:bundling-stacks': [] } }))).toThrow(
      'did you mean "alarmTopicArn"?',
    );
    // A misspelled alarm setting would otherwise leave production without the alarm it asked for.
    expect(() => buildApp(new App({ context: { ...cdkJsonContext(), noTrafficAlarmHour: '24', 'aws:cdk:bundling-stacks': [] } }))).toThrow(
      'did you mean "noTrafficAlarmHours"?',
    );
    // One letter off: the stack would create an empty credentials secret instead of using the existing one.
    expect(problems({ credentialSecret: 'amani/prod/api-credentials' })).toContain(
      '"credentialSecret": unknown key; did you mean "credentialsSecret"?',
    );
    expect(problems({ credentialsSecretKmsKey: 'arn:aws:kms:eu-west-1:123456789012:key/abc' })).toContain(
      'did you mean "credentialsSecretKmsKeyArn"?',
    );
  });

  test("every other key that is not CDK's is refused too, listing the keys there are", () => {
    const message = problems({ region: 'eu-west-1', bucket: 'x', stage: 'dev' });
    expect(message).toContain('"region": unknown key; the keys are stage, amaniBaseUrl, authMode,');
    expect(message).toContain('"bucket": unknown key; the keys are');
    expect(message).not.toContain('"stage"');
  });

  test('unknown keys and invalid values are reported together', () => {
    const message = problems({ credentialSecret: 'x', authMode: 'hmac' });
    expect(message).toContain('"credentialSecret": unknown key; did you mean "credentialsSecret"?');
    expect(message).toContain("\"authMode\": must be 'signature' or 'token'");
  });

  test("the keys of CDK and its CLI pass: feature flags, aws:cdk settings, cached lookups, the CLI's own", () => {
    const cdkKeys = {
      // What the CDK CLI (2.1148) sends besides cdk.json's context, as seen by an app.
      'cli-telemetry': false,
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:version-reporting': true,
      'aws:cdk:bundling-stacks': ['**'],
      '@aws-cdk/core:failSynthOnValidationErrors': true,
      // Others CDK writes or reads.
      '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
      'aws-cdk:enableDiffNoFail': true,
      'acknowledged-issue-numbers': [32775],
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
    };
    expect(unknownContextKeys(cdkKeys)).toEqual([]);
    expect(() => parseContext(cdkKeys)).not.toThrow();
    expect(isCdkContextKey('credentialSecret')).toBe(false);
  });

  test("cdk itself refuses an unknown key, and only that one: the CLI's own context passes", () => {
    const result = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/aws-cdk/bin/cdk'), 'ls', '-c', 'credentialSecret=amani/prod/api-credentials'],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
      },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('"credentialSecret": unknown key; did you mean "credentialsSecret"?');
    expect(result.stderr.match(/unknown key/g)).toHaveLength(1);
    expect(result.stdout).not.toContain('AmaniWebhooks-dev');
  });

  test('cdk synth of a production stage without an alarm topic stops with the reason', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'amani-cdk-prod-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), stage: 'prod' }), CDK_OUTDIR: outdir },
    });
    rmSync(outdir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('"alarmTopicArn": is required for a production stage');
    expect(result.stderr).toContain('production alarms must page someone');
  });

  test('the CDK app itself exits non-zero with the message, without a stack trace', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'amani-cdk-invalid-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), authMode: 'hmac', amaniBaseUrl: 'ftp://eu.amani.ai' }),
        CDK_OUTDIR: outdir,
      },
    });
    rmSync(outdir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid CDK context');
    expect(result.stderr).toContain("\"authMode\": must be 'signature' or 'token'");
    expect(result.stderr).toContain('"amaniBaseUrl": must be an https:// base URL');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('the edge', () => {
  const topic = 'arn:aws:sns:eu-west-1:123456789012:oncall';

  test('defaults: REST API, the receiver reserves 100, the web ACL on exactly for production REST stages without webAclArn', () => {
    expect(parseContext({})).toMatchObject({ api: 'rest', waf: false, receiverReservedConcurrency: 100 });
    expect(parseContext({}).wafRequestsPerIpPerMinute).toBeUndefined();
    expect(parseContext({ stage: 'prod', alarmTopicArn: topic })).toMatchObject({ waf: true, wafRequestsPerIpPerMinute: 1500 });
    expect(parseContext({ stage: 'live', production: 'true', alarmTopicArn: topic, throttlingRateLimit: 10 })).toMatchObject({
      waf: true,
      wafRequestsPerIpPerMinute: 300,
    });
    expect(parseContext({ stage: 'prod', alarmTopicArn: topic, api: 'http' }).waf).toBe(false);
    const existing = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/corporate/0123';
    expect(parseContext({ stage: 'prod', alarmTopicArn: topic, webAclArn: existing }).waf).toBe(false);
    expect(parseContext({ stage: 'prod', alarmTopicArn: topic, waf: 'false' }).waf).toBe(false);
    expect(parseContext({ waf: 'true', throttlingRateLimit: 1 }).wafRequestsPerIpPerMinute).toBe(30);
  });

  test('allowedSourceCidrs: IPv4 and IPv6 ranges, single addresses as /32 and /128, duplicates once', () => {
    expect(
      parseContext({ allowedSourceCidrs: '203.0.113.0/24, 198.51.100.7,2001:db8::/32,2001:db8::1, 203.0.113.0/24' }).allowedSourceCidrs,
    ).toEqual(['203.0.113.0/24', '198.51.100.7/32', '2001:db8::/32', '2001:db8::1/128']);
    expect(parseContext({ allowedSourceCidrs: ['::ffff:192.0.2.0/120'] }).allowedSourceCidrs).toEqual(['::ffff:192.0.2.0/120']);
  });

  test('a custom domain: the name as API Gateway wants it, with its certificate and optional zone', () => {
    const config = parseContext({
      domainName: 'Webhooks.Example.COM.',
      certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      api: 'http',
    });
    expect(config).toMatchObject({ domainName: 'webhooks.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', api: 'http' });
  });

  test('cdk synth of waf=true with api=http stops with the reason', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'amani-cdk-waf-http-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), api: 'http', waf: 'true' }), CDK_OUTDIR: outdir },
    });
    rmSync(outdir, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('"waf": cannot protect an HTTP API: API Gateway HTTP APIs cannot take a WAF web ACL');
    expect(result.stderr).not.toContain('    at ');
  });
});

describe('previous-token grace and the revocation bound', () => {
  test('a grace of 0, or at least the secret cache lifetime, is accepted', () => {
    expect(parseContext({ previousTokenGraceMinutes: 0, secretCacheTtlSeconds: 300 }).previousTokenGraceMinutes).toBe(0);
    expect(parseContext({ previousTokenGraceMinutes: 2, secretCacheTtlSeconds: 120 }).secretCacheTtlSeconds).toBe(120);
    expect(parseContext({ previousTokenGraceMinutes: 1 }).secretCacheTtlSeconds).toBe(60);
  });
});
