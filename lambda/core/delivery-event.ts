import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { DeliveryMetadata } from './event-contract';
import { utf8BomLength } from './python-json';
import { DEFAULT_DETAIL_TYPE, EVENT_CONTRACT_VERSION, SAFE_NAME } from './event-contract-values';

/**
 * Turning an authenticated delivery into the one EventBridge entry consumers match on
 * (docs/contract.md, "Events on the bus"). Pure: no AWS types, no I/O.
 */

export { DEFAULT_DETAIL_TYPE, type DeliveryMetadata };

/** A delivery's body: any JSON object. */
export type DeliveryBody = Record<string, unknown>;

/** Looks up `a.b.c` in nested objects; undefined when any step is missing or not an object. */
export function valueAtPath(body: unknown, path: string): unknown {
  let current: unknown = body;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The first configured path holding a usable name, else `webhook`. */
export function eventNameOf(body: DeliveryBody, paths: readonly string[]): string {
  for (const path of paths) {
    const value = valueAtPath(body, path);
    if (typeof value === 'string' && SAFE_NAME.test(value)) return value;
  }
  return DEFAULT_DETAIL_TYPE;
}

/**
 * The body's own delivery id when one of `paths` holds a usable one, else `signedSha256`: the
 * SHA-256 of the bytes the signature covers (the raw body, or its canonical `json.dumps` form
 * when that is what matched). Either way a retried delivery keeps its id, so consumers can
 * deduplicate on it.
 */
export function deliveryIdOf(body: DeliveryBody, paths: readonly string[], signedSha256: string): string {
  for (const path of paths) {
    const value = valueAtPath(body, path);
    const candidate = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof candidate === 'string' && SAFE_NAME.test(candidate)) return candidate;
  }
  return signedSha256;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `metadata` of an event, as declared in event-contract.ts (the one declaration consumers,
 * the JSON Schemas and the docs share), stamped with the contract version.
 */
export function deliveryMetadata(fields: Omit<DeliveryMetadata, 'version'>): DeliveryMetadata {
  return { version: EVENT_CONTRACT_VERSION, ...fields };
}

/** What `dedup: "unchecked"` adds to an entry: the size check reserves it for every delivery. */
export const DEDUP_UNCHECKED_MARK_BYTES = Buffer.byteLength(',"dedup":"unchecked"');

/** Field names match EventBridge's PutEventsRequestEntry so adapters pass it through as is. */
export interface BusEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
}

export function buildBusEntry(params: {
  readonly source: string;
  readonly eventBusName: string;
  readonly detailType: string;
  readonly metadata: DeliveryMetadata;
  readonly bodyJson: string;
}): BusEntry {
  // The body text is embedded as is: it is already valid JSON, keeps numbers exactly as sent,
  // and avoids re-serialising up to a megabyte on the hot path.
  return busEntryWithDetail({ ...params, detail: `${detailPrefix(params.metadata)}${params.bodyJson}}` });
}

/** The Detail up to its body: `{"metadata":…,"data":` (the body and a closing brace follow). */
function detailPrefix(metadata: DeliveryMetadata): string {
  return `{"metadata":${JSON.stringify(metadata)},"data":`;
}

/** Where the JSON value of a body lies: without a leading UTF-8 byte-order mark and JSON whitespace at either end. */
export function jsonTextRange(bytes: Uint8Array): { readonly start: number; readonly end: number } {
  let start = utf8BomLength(bytes);
  let end = bytes.length;
  while (start < end && isJsonWhitespace(bytes[start] as number)) start++;
  while (end > start && isJsonWhitespace(bytes[end - 1] as number)) end--;
  return { start, end };
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/** Reused for every Detail: only written and read within one synchronous call. */
let detailScratch = Buffer.allocUnsafe(64 * 1024);

/**
 * The entry's Detail, `{"metadata":…,"data":<body>}`, made as ONE string from the bytes the
 * signature covers (valid UTF-8), and the body's text as a view into it (a slice shares the
 * string's memory). Every body-sized string costs a copy into V8's heap, and above 128 KiB a
 * large-object allocation on fresh pages (docs/benchmarks.md, "What dominates"): decoding the
 * body first and concatenating it into the Detail paid that twice, and the SDK's first read of a
 * concatenation copies it once more.
 */
export function detailFromBytes(metadata: DeliveryMetadata, signed: Uint8Array): { readonly detail: string; readonly bodyText: string } {
  const { start, end } = jsonTextRange(signed);
  const prefix = detailPrefix(metadata);
  const prefixBytes = Buffer.byteLength(prefix);
  const length = prefixBytes + (end - start) + 1;
  if (detailScratch.length < length) detailScratch = Buffer.allocUnsafe(Math.max(length, 2 * detailScratch.length));
  detailScratch.write(prefix, 0, 'utf8');
  detailScratch.set(signed.subarray(start, end), prefixBytes);
  detailScratch[length - 1] = 0x7d; // }
  const detail = detailScratch.toString('utf8', 0, length);
  return { detail, bodyText: detail.slice(prefix.length, detail.length - 1) };
}

/** The body text as a JSON object, or undefined when it is not one. */
export function parseJsonObject(text: string): DeliveryBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // A plain test, not a schema: a schema's parse would copy every member of up to a megabyte of JSON.
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as DeliveryBody) : undefined;
}

/** An entry whose Detail was made by `detailFromBytes`. */
export function busEntryWithDetail(params: {
  readonly source: string;
  readonly eventBusName: string;
  readonly detailType: string;
  readonly detail: string;
}): BusEntry {
  return { Source: params.source, DetailType: params.detailType, Detail: params.detail, EventBusName: params.eventBusName };
}

/** Entry size as EventBridge counts it against its per-entry limit. */
export function busEntrySize(entry: BusEntry): number {
  return Buffer.byteLength(entry.Source) + Buffer.byteLength(entry.DetailType) + Buffer.byteLength(entry.Detail);
}

/**
 * An upper bound of `busEntrySize` without a pass over the body: the embedded body text takes at
 * most the body's own bytes, every other UTF-16 unit at most 3 bytes. Exact counting is needed
 * only when the bound comes near the limit.
 */
export function busEntrySizeAtMost(entry: BusEntry, bodyJson: string, bodyBytes: number): number {
  return 3 * (entry.Source.length + entry.DetailType.length + entry.Detail.length - bodyJson.length) + bodyBytes;
}
