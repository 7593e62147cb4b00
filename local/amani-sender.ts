/**
 * Plays Amani's side of a delivery: builds a payload, serialises and signs it the way Amani
 * documents (signature = base64 HMAC-SHA256 of Python's `json.dumps(payload)`), and POSTs it.
 * Used by `npx amani-webhooks send`, the local mode and the end-to-end tests.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { AMANI_EVENTS } from '../lambda/core/amani-events';
import { pythonJsonDumps } from '../lambda/core/python-json';

export { AMANI_EVENTS };

/**
 * How the body goes on the wire. `python`: the bytes Amani's Python signer hashes, so the raw
 * body matches. `compact`: `JSON.stringify` (UTF-8, no spaces), so only the receiver's
 * canonical `json.dumps` form matches - the case a naive receiver gets wrong.
 */
export type WireFormat = 'python' | 'compact';

export interface DeliveryOptions {
  readonly payload: Record<string, unknown>;
  readonly token: string;
  readonly authMode: 'signature' | 'token';
  readonly wire?: WireFormat;
  readonly signatureHeader?: string;
  readonly tokenHeader?: string;
  /** Change the body after signing (to watch a 401). */
  readonly tamper?: boolean;
}

export interface PreparedDelivery {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  /** What the signature covers: Python's `json.dumps` of the payload. */
  readonly signedText: string;
}

export function prepareDelivery(options: DeliveryOptions): PreparedDelivery {
  const compact = JSON.stringify(options.payload);
  const signedText = pythonJsonDumps(compact);
  if (signedText === undefined) throw new Error('The payload has no Python json.dumps form');
  const wireText = (options.wire ?? 'python') === 'python' ? signedText : compact;
  let body: Buffer = Buffer.from(wireText, 'utf8');
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'amani-webhooks-simulator' };
  if (options.authMode === 'signature') {
    headers[options.signatureHeader ?? 'Webhook-Signature'] = createHmac('sha256', Buffer.from(options.token, 'utf8'))
      .update(signedText, 'utf8')
      .digest('base64');
  } else {
    headers[options.tokenHeader ?? 'Webhook-Token'] = options.token;
  }
  if (options.tamper) body = tamper(body);
  return { body, headers, signedText };
}

export interface DeliveryAnswer {
  readonly status: number;
  readonly body: string;
}

export async function sendDelivery(
  url: string,
  delivery: Pick<PreparedDelivery, 'body' | 'headers'>,
  timeoutMs = 15_000,
): Promise<DeliveryAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.text() };
}

/** Changes the last letter or digit of the body: the signature no longer matches. */
function tamper(body: Buffer): Buffer {
  const text = body.toString('utf8');
  const position = text.search(/[0-9A-Za-z](?=[^0-9A-Za-z]*$)/);
  if (position < 0) return Buffer.concat([body, Buffer.from(' ')]);
  const replaced = text[position] === 'x' ? 'y' : 'x';
  return Buffer.from(text.slice(0, position) + replaced + text.slice(position + 1), 'utf8');
}

const PEOPLE = [
  { first_name: 'Zeynep', last_name: 'Yılmaz', nationality: 'TUR', city: 'İstanbul' },
  { first_name: 'José', last_name: 'Müller-García', nationality: 'ESP', city: 'Málaga' },
  { first_name: 'Aiša', last_name: 'Đorđević', nationality: 'SRB', city: 'Niš' },
  { first_name: 'محمد', last_name: 'العلي', nationality: 'ARE', city: 'دبي' },
  { first_name: 'Ŝtefan', last_name: 'Łukasiewicz 😀', nationality: 'POL', city: 'Łódź' },
];

/**
 * A realistic, fake Amani-like payload for `event` (field names follow Amani's public docs
 * where they show them; all personal data here is invented).
 */
export function samplePayload(event: string, seed = Math.floor(Math.random() * 1_000_000)): Record<string, unknown> {
  const person = PEOPLE[seed % PEOPLE.length] as (typeof PEOPLE)[number];
  const profileId = randomUUID();
  const profile = {
    id: profileId,
    company_id: 'c0mpany-7f3a',
    status: ['PENDING_REVIEW', 'APPROVED', 'REJECTED', 'INCOMPLETE'][seed % 4],
    level: (seed % 3) + 1,
    first_name: person.first_name,
    last_name: person.last_name,
    birth_date: `19${70 + (seed % 30)}-0${1 + (seed % 9)}-1${seed % 10}`,
    id_card_number: String(10_000_000_000 + seed),
    nationality: person.nationality,
    address: { city: person.city, line1: `${person.last_name} Sok. ${seed % 200}` },
    risk_score: Number(((seed % 1000) / 10).toFixed(1)),
    updated_at: new Date().toISOString(),
  };
  const base: Record<string, unknown> = { event, created_at: new Date().toISOString(), profile };
  if (event.startsWith('document_')) {
    base.document = {
      id: randomUUID(),
      type: ['ID', 'PA', 'DL', 'SE'][seed % 4],
      status: ['UPLOADED', 'APPROVED', 'REJECTED'][seed % 3],
      version: 1,
    };
  }
  if (event === 'zip_file_create') base.zip_file = { url: `https://example.invalid/exports/${profileId}.zip`, size_bytes: 1048576 + seed };
  if (event === 'video_call_status_change') base.video_call = { id: randomUUID(), status: 'COMPLETED', duration_seconds: 184.5 };
  return base;
}

/** A payload of roughly `targetBytes` (JSON), for benchmarks and load tests. */
export function payloadOfSize(event: string, targetBytes: number, seed = 1): Record<string, unknown> {
  const payload = samplePayload(event, seed);
  const history: unknown[] = [];
  payload.history = history;
  let i = 0;
  while (Buffer.byteLength(JSON.stringify(payload)) < targetBytes) {
    history.push({
      at: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`,
      by: (PEOPLE[i % PEOPLE.length] as (typeof PEOPLE)[number]).last_name,
      note: `Güncelleme ${i}`,
      score: i / 7,
    });
    i++;
  }
  return payload;
}
