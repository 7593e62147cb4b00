import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';

/**
 * API Gateway on one side, the receiver's own request/response on the other. Both integrations
 * the stack can deploy arrive here: a REST API's Lambda proxy event (payload format 1.0) and an
 * HTTP API's payload format 2.0. The body stays bytes: nothing here parses or rewrites it.
 */
export type ApiGatewayEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2;

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
    if (!isCanonicalBase64(body, bytes)) return { kind: 'invalid-base64' };
    return bytes.length > maxBytes ? { kind: 'too-large', declaredBytes: bytes.length } : { kind: 'bytes', bytes };
  }
  // A string body longer than the limit in UTF-16 units is certainly over it in UTF-8 bytes.
  if (body.length > maxBytes) return { kind: 'too-large', declaredBytes: body.length };
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length > maxBytes ? { kind: 'too-large', declaredBytes: bytes.length } : { kind: 'bytes', bytes };
}

/**
 * Whether `text` is canonical base64 of `bytes` (what `Buffer.from(text, 'base64')` made of it):
 * exactly the texts that re-encode to themselves, without re-encoding (2 ms per 256 KiB; these
 * checks take microseconds). Node's decoder skips junk and stops at an inner `=`, either of which
 * shortens the result; it also reads the URL-safe alphabet and ignores the last group's padding
 * bits, which the last two checks refuse.
 */
export function isCanonicalBase64(text: string, bytes: Buffer): boolean {
  if (text.length % 4 !== 0 || Buffer.byteLength(text, 'base64') !== bytes.length) return false;
  if (text.includes('-') || text.includes('_')) return false;
  if (bytes.length === 0) return true;
  const lastGroup = bytes.length % 3 || 3;
  return bytes.subarray(bytes.length - lastGroup).toString('base64') === text.slice(-4);
}

/** Whether the event is an HTTP API's payload format 2.0 (which says so in `version`). */
export function isPayloadFormatV2(event: ApiGatewayEvent): event is APIGatewayProxyEventV2 {
  return (event as { version?: unknown }).version === '2.0';
}

export function toWebhookRequest(event: ApiGatewayEvent, maxBodyBytes: number): WebhookRequest {
  return isPayloadFormatV2(event) ? fromPayloadFormatV2(event, maxBodyBytes) : fromPayloadFormatV1(event, maxBodyBytes);
}

/**
 * Payload format 2.0: header names arrive lower-cased, and a header sent several times arrives as
 * one value joined with commas, which the receiver sees as one (wrong) credential: a duplicated
 * signature or token header is refused with 401 all the same. Cookies move from the `cookie`
 * header to `cookies`; they are put back so the request reads as it was sent. The path
 * (`rawPath`) is not needed: API Gateway routes only `POST /webhook` to the receiver.
 */
function fromPayloadFormatV2(event: APIGatewayProxyEventV2, maxBodyBytes: number): WebhookRequest {
  const headers = event.headers ?? {};
  const cookies = Array.isArray(event.cookies) ? event.cookies.filter(isString) : [];
  return {
    headerValues: (name) => {
      const wanted = name.toLowerCase();
      if (wanted === 'cookie' && cookies.length > 0) return [cookies.join('; ')];
      const values: string[] = [];
      for (const [key, value] of Object.entries(headers)) {
        if (key.toLowerCase() === wanted && isString(value)) values.push(value);
      }
      return values;
    },
    body: readRawBody({ body: event.body ?? null, isBase64Encoded: event.isBase64Encoded }, maxBodyBytes),
    requestId: event.requestContext?.requestId,
  };
}

function fromPayloadFormatV1(event: APIGatewayProxyEvent, maxBodyBytes: number): WebhookRequest {
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
