import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** WAF's longest regular expression, in characters. */
const WAF_MAX_REGEX_LENGTH = 200;

/** The window the per-IP rate-based rule counts over, in seconds. */
export const WAF_RATE_WINDOW_SECONDS = 60;

/**
 * A regular expression matching exactly the decimal numbers (leading zeros allowed) greater than
 * `limit`: WAF compares strings, not numbers, and this is how its `Content-Length` check reads
 * "more than MAX_BODY_BYTES".
 */
export function decimalGreaterThan(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new Error(`decimalGreaterThan: ${limit} is not a whole number`);
  const digits = String(limit);
  const longer = `[1-9]\\d{${digits.length},}`;
  const sameLength: string[] = [];
  for (let index = 0; index < digits.length; index++) {
    const digit = Number(digits[index]);
    if (digit === 9) continue;
    const rest = digits.length - index - 1;
    const prefix = digits.slice(0, index);
    const low = digit + 1;
    const range = low === 9 ? '9' : `[${low}-9]`;
    sameLength.push(`${prefix}${range}${rest > 0 ? `\\d{${rest}}` : ''}`);
  }
  return `^0*(${[longer, ...sameLength].join('|')})$`;
}

export interface WebFirewallProps {
  readonly stage: string;
  /** Requests one source IP may send per minute before WAF answers it 429. */
  readonly requestsPerIpPerMinute: number;
  /** The receiver's MAX_BODY_BYTES: a larger declared Content-Length is answered 413 at the edge. */
  readonly maxBodyBytes: number;
}

/**
 * A regional web ACL for the REST stage, with two rules and nothing else:
 *
 * 1. `PerIpRateLimit`: a source IP that sends more than `requestsPerIpPerMinute` requests in a
 *    minute is answered 429 by WAF until its rate falls back. A flood from a few addresses is
 *    then stopped before it uses up the stage throttle that Amani's deliveries share (a
 *    throttled Amani gets 429 too). A flood spread over many addresses under the limit still
 *    reaches the throttle: `allowedSourceCidrs` is the answer to that.
 * 2. `DeclaredBodyTooLarge`: a request whose `Content-Length` declares more than MAX_BODY_BYTES
 *    is answered 413 without invoking the receiver. WAF sees at most the first 16 KB of a body on
 *    API Gateway (64 KB at extra cost), so it cannot measure a 1 MiB body: it reads the declared
 *    length. A request without `Content-Length` (chunked) passes, and the receiver measures it.
 *
 * No managed rule groups. AWSManagedRulesCommonRuleSet blocks every body over 8 KB
 * (SizeRestrictions_BODY) and KYC deliveries are routinely larger; its and the SQLi rule set's
 * XSS/SQL patterns match ordinary personal data (an apostrophe in a surname, `--` in an address,
 * markup in OCR text); and WAF would inspect only the first 16 KB of the body anyway. What decides
 * whether a delivery is genuine is its HMAC signature (or token), which the receiver checks on
 * every request; the web ACL only keeps volume away from it.
 *
 * Sampled requests are off: a sample keeps the request's headers, and in token mode a header is
 * the webhook token. Metrics per rule are on (namespace AWS/WAFV2).
 */
export class WebFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const name = `amani-webhooks-${props.stage}`;
    const declaredTooLarge = decimalGreaterThan(props.maxBodyBytes);
    if (declaredTooLarge.length > WAF_MAX_REGEX_LENGTH) {
      throw new Error(`The Content-Length pattern for ${props.maxBodyBytes} bytes is longer than WAF accepts`);
    }
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: false,
    });
    const block = (status: number, body: string): wafv2.CfnWebACL.RuleActionProperty => ({
      block: { customResponse: { responseCode: status, customResponseBodyKey: body } },
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name,
      description: `amani-webhooks ${props.stage}: per-IP rate limit and declared body size in front of the webhook receiver`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      // Same shape as the receiver's own answers.
      customResponseBodies: {
        TooManyRequests: { contentType: 'APPLICATION_JSON', content: JSON.stringify({ message: 'Too many requests' }) },
        PayloadTooLarge: { contentType: 'APPLICATION_JSON', content: JSON.stringify({ message: 'Payload too large' }) },
      },
      rules: [
        {
          // First, so that oversized requests from a flooding address count towards its rate too.
          name: 'PerIpRateLimit',
          priority: 0,
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerIpPerMinute,
              evaluationWindowSec: WAF_RATE_WINDOW_SECONDS,
              aggregateKeyType: 'IP',
            },
          },
          action: block(429, 'TooManyRequests'),
          visibilityConfig: visibility(`${name}-PerIpRateLimit`),
        },
        {
          name: 'DeclaredBodyTooLarge',
          priority: 1,
          statement: {
            regexMatchStatement: {
              regexString: declaredTooLarge,
              fieldToMatch: { singleHeader: { Name: 'content-length' } },
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          action: block(413, 'PayloadTooLarge'),
          visibilityConfig: visibility(`${name}-DeclaredBodyTooLarge`),
        },
      ],
    });
  }
}
