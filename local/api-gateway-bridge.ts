/**
 * The local stand-in for API Gateway: a node:http server on 127.0.0.1 that turns each request
 * into the REST API proxy event the receiver gets in AWS (binary media type `*\/*`, so the body
 * arrives base64-encoded and byte-exact) and calls the very same handler.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { lambdaContext } from './lambda-context';

/** API Gateway's own payload limit; the receiver applies its smaller one. */
const API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024;

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface ReceiverEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

export async function startReceiverEndpoint(options: {
  readonly handler: ProxyHandler;
  readonly port?: number;
  readonly path?: string;
  /** The deployed function's timeout, mirrored in the context's remaining time. */
  readonly timeoutMs?: number;
}): Promise<ReceiverEndpoint> {
  const path = options.path ?? '/webhook';
  const server: Server = createServer(async (request, response) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (request.method === 'GET' && url.pathname === '/health') return send(200, { ok: true });
    if (url.pathname !== path) return send(404, { message: 'Not Found' });
    if (request.method !== 'POST') return send(403, { message: 'Missing Authentication Token' });
    let body: Buffer | undefined;
    try {
      body = await readLimited(request, API_GATEWAY_MAX_BYTES);
    } catch {
      // The client went away mid-body: nobody to answer, and nothing to hand to the receiver.
      request.socket.destroy();
      return;
    }
    if (!body) return send(413, { message: 'Request Too Long' });
    try {
      const result = await options.handler(
        toProxyEvent(request, url, path, body),
        lambdaContext({ functionName: 'amani-webhooks-receiver-local', remainingMs: options.timeoutMs ?? 10_000 }),
      );
      send(result.statusCode, result.body, Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])));
    } catch {
      // What API Gateway answers when the integration fails.
      send(502, { message: 'Internal server error' });
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function toProxyEvent(request: IncomingMessage, url: URL, path: string, body: Buffer): APIGatewayProxyEvent {
  // rawHeaders keeps the sender's spelling and every repetition, as API Gateway does. Maps, not
  // object literals: a header may be named `constructor` or `__proto__`, and API Gateway's event
  // (parsed JSON) has it as an ordinary own property.
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i] as string;
    const value = request.rawHeaders[i + 1] as string;
    single.set(name, value);
    multi.set(name, [...(multi.get(name) ?? []), value]);
  }
  const headers: Record<string, string> = Object.fromEntries(single);
  const multiValueHeaders: Record<string, string[]> = Object.fromEntries(multi);
  const query = Object.fromEntries(url.searchParams);
  return {
    resource: path,
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders,
    queryStringParameters: Object.keys(query).length ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body.toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: 'POST',
      identity: { sourceIp: request.socket.remoteAddress ?? '127.0.0.1' } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/local${path}`,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: path,
    },
  };
}

function readLimited(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
