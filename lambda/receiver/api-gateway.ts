import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * API Gateway (REST, proxy integration) on one side, the receiver's own request/response on the
 * other. The body stays bytes: nothing here parses or rewrites it.
 */
export interface WebhookRequest {
  /** Every value sent for a header, matched case-insensitively (HTTP header names are). */
  readonly headerValues: (name: string) => readonly string[];
  readonly body: RawBody;
  readonly requestId?: string;
}

export type RawBody =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'too-large'; readonly declaredBytes: number }
  | { readonly kind: 'invalid-base64' }
  /** Not a string at all: only a misconfigured integration sends that. */
  | { readonly kind: 'not-text' };

export interface WebhookResponse {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

/** Size checks come first, from lengths alone, so an oversized body is never decoded or hashed. */
export function readRawBody(event: Pick<APIGatewayProxyEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): RawBody {
  const body: unknown = event.body ?? '';
  if (typeof body !== 'string') return { kind: 'not-text' };
  if (event.isBase64Encoded) {
    const decodedBytes = Math.floor((body.length * 3) / 4);
    if (decodedBytes - 2 > maxBytes) return { kind: 'too-large', declaredBytes: decodedBytes };
    const bytes = Buffer.from(body, 'base64');
    // Canonical base64 is exactly what re-encodes to itself (Node's decoder skips junk silently):
    // one native decode and encode, where an anchored regex cost about 1 ms per 256 KiB.
    if (bytes.toString('base64') !== body) return { kind: 'invalid-base64' };
    return bytes.length > maxBytes ? { kind: 'too-large', declaredBytes: bytes.length } : { kind: 'bytes', bytes };
  }
  // A string body longer than the limit in UTF-16 units is certainly over it in UTF-8 bytes.
  if (body.length > maxBytes) return { kind: 'too-large', declaredBytes: body.length };
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length > maxBytes ? { kind: 'too-large', declaredBytes: bytes.length } : { kind: 'bytes', bytes };
}

export function toWebhookRequest(event: APIGatewayProxyEvent, maxBodyBytes: number): WebhookRequest {
  const single = event.headers ?? {};
  const multi = event.multiValueHeaders ?? {};
  return {
    headerValues: (name) => {
      const wanted = name.toLowerCase();
      const values: string[] = [];
      // Only strings count: a null (or any non-string) value is no value, so a credential header
      // that carries one is "missing" (401), never a crash further on.
      for (const [key, list] of Object.entries(multi)) {
        if (key.toLowerCase() === wanted && Array.isArray(list)) values.push(...list.filter(isString));
      }
      if (values.length === 0) {
        for (const [key, value] of Object.entries(single)) {
          if (key.toLowerCase() === wanted && isString(value)) values.push(value);
        }
      }
      return values;
    },
    body: readRawBody(event, maxBodyBytes),
    requestId: event.requestContext?.requestId,
  };
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function toProxyResult(response: WebhookResponse): APIGatewayProxyResult {
  return {
    statusCode: response.statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(response.body),
  };
}
