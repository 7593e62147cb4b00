import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * An API Gateway REST proxy event as the receiver gets it in AWS, built from a body and headers:
 * for calling the receiver handler without HTTP (tests, benchmarks). A Buffer body is
 * base64-encoded, as the stack's binary media type `*\/*` delivers it.
 */
export function webhookEvent(options: {
  body: string | Buffer | null;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  base64?: boolean;
}): APIGatewayProxyEvent {
  const base64 = options.base64 ?? Buffer.isBuffer(options.body);
  const body = options.body === null ? null : base64 ? Buffer.from(options.body).toString('base64') : options.body.toString();
  const headers = options.headers ?? {};
  const multiValueHeaders = options.multiValueHeaders ?? Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, [value]]));
  return {
    body,
    headers,
    multiValueHeaders,
    httpMethod: 'POST',
    isBase64Encoded: base64,
    path: '/webhook',
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    resource: '/webhook',
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: 'POST',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: '/prod/webhook',
      stage: 'prod',
      requestId: 'req-0001',
      requestTimeEpoch: Date.now(),
      resourceId: 'res',
      resourcePath: '/webhook',
    },
  };
}

/**
 * The same delivery as an HTTP API hands it to the receiver (payload format 2.0): header names
 * lower-cased, a repeated header joined with commas, cookies moved to `cookies`, the stage in
 * `rawPath` when called on the execute-api URL. A Buffer body is base64-encoded (HTTP APIs encode
 * bodies whose content type is not text); a string body is passed as text.
 */
export function httpApiWebhookEvent(options: {
  body: string | Buffer | null;
  headers?: Record<string, string | string[]>;
  cookies?: string[];
  base64?: boolean;
  rawPath?: string;
}): APIGatewayProxyEventV2 {
  const base64 = options.base64 ?? Buffer.isBuffer(options.body);
  const body = options.body === null ? undefined : base64 ? Buffer.from(options.body).toString('base64') : options.body.toString();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const key = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(',') : value;
    headers[key] = headers[key] === undefined ? joined : `${headers[key]},${joined}`;
  }
  const rawPath = options.rawPath ?? '/v1/webhook';
  return {
    version: '2.0',
    routeKey: 'POST /webhook',
    rawPath,
    rawQueryString: '',
    ...(options.cookies ? { cookies: options.cookies } : {}),
    headers,
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: base64,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.10', userAgent: 'amani-webhooks-test' },
      requestId: 'req-v2-0001',
      routeKey: 'POST /webhook',
      stage: 'v1',
      time: '01/Jan/2027:00:00:00 +0000',
      timeEpoch: Date.now(),
    },
  };
}
