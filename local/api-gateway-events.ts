import type { APIGatewayProxyEvent } from 'aws-lambda';

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
