import * as z from 'zod';
import { AMANI_PAYLOAD_SCHEMAS, CONTRACT_REGISTRY, described, unnamedPayloadSchema } from './amani-payloads';
import {
  DEFAULT_DETAIL_TYPE,
  DEFAULT_EVENT_SOURCE,
  EVENT_CONTRACT_VERSION,
  SAFE_NAME,
  SIGNATURE_FORMS,
  TOKEN_GENERATIONS,
} from './event-contract-values';
import { AUTH_MODES } from './validators';

/**
 * The event contract, declared once: the EventBridge event the receiver publishes for each
 * delivery, `detail.metadata` field by field with its meaning, and `detail.data` as far as
 * Amani's payloads are known (amani-payloads.ts). The receiver builds its metadata from this
 * declaration (delivery-event.ts); the consumer package (packages/consumer) exports it; the JSON
 * Schemas published to the EventBridge Schema Registry are generated from it; docs/event-contract.md
 * is checked against it.
 *
 * Compatibility (docs/event-contract.md, "Versions and compatibility"): within a version the
 * contract only grows. A new optional metadata field, a new Amani event or payload field, or a
 * new status value needs no new version; removing, renaming or re-meaning anything here does.
 */

export * from './event-contract-values';

/**
 * Every field of `detail.metadata`, with its meaning. The receiver writes exactly these
 * (`publishedMetadataSchema`); consumers read them with `deliveryMetadataSchema`, which also
 * accepts fields a later release adds.
 */
export const METADATA_FIELDS = {
  version: described(
    z.literal(EVENT_CONTRACT_VERSION),
    'The event contract version. Changes only for a change that could break a consumer; absent on events published before the field existed (read as "1").',
  ),
  deliveryId: described(
    z.string().regex(SAFE_NAME),
    "The delivery's id: the body's own id when it has a usable one, else the SHA-256 (hex) of the bytes the signature covers. A retried delivery keeps it: deduplicate on it.",
  ),
  receivedAt: described(z.iso.datetime(), 'ISO-8601 UTC time the receiver accepted the delivery (kept by a redrive).'),
  authMode: described(z.enum(AUTH_MODES), 'How the delivery was authenticated: signature or token.'),
  signatureForm: described(
    z.enum(SIGNATURE_FORMS),
    "Signature mode only: raw when the signature matched the body bytes, python-json when it matched CPython's json.dumps of the body (then data is that text).",
  ).optional(),
  tokenGeneration: described(
    z.enum(TOKEN_GENERATIONS),
    'current, or previous when the delivery was signed with the token from before the last rotation (inside its grace window).',
  ),
  bodySha256: described(z.string().regex(/^[0-9a-f]{64}$/), 'SHA-256 (hex) of the raw body bytes as received.'),
  requestId: described(z.string(), 'API Gateway request id, to correlate with access logs (when known).').optional(),
  dedup: described(
    z.literal('unchecked'),
    'Present when the receiver could not check the delivery against earlier ones (its deduplication store was unavailable): it may be a duplicate.',
  ).optional(),
};

/** The metadata as the receiver writes it: the declared fields and no other. */
export const publishedMetadataSchema = z.strictObject(METADATA_FIELDS);
export type DeliveryMetadata = z.output<typeof publishedMetadataSchema>;

/**
 * The metadata as a consumer reads it: fields a later release adds are kept, and `version` is
 * "1" when absent (events published before the field existed, e.g. replayed from the archive).
 */
export const deliveryMetadataSchema = z
  .looseObject({ ...METADATA_FIELDS, version: METADATA_FIELDS.version.default(EVENT_CONTRACT_VERSION) })
  .register(CONTRACT_REGISTRY, {
    id: 'AmaniDeliveryMetadata',
    description: 'Added by the receiver to every event: who sent it, how it was authenticated, which delivery it is.',
  });

/** `detail` of an event: the receiver's metadata and Amani's delivery as signed. */
export function amaniDetailSchema<D extends z.ZodType>(data: D) {
  return z.looseObject({
    metadata: deliveryMetadataSchema,
    // The payload schemas are shared between events; their description is their own.
    data,
  });
}

/** The EventBridge envelope's own fields, as EventBridge fills them. */
const envelopeFields = {
  version: described(z.string(), "EventBridge's envelope version ('0')."),
  id: described(z.string(), 'EventBridge event id: a redrive or a replay gets a new one, so deduplicate on detail.metadata.deliveryId.'),
  source: described(z.string(), `The stack's eventSource setting (default ${DEFAULT_EVENT_SOURCE}).`),
  account: described(z.string(), 'The AWS account of the bus.'),
  time: described(z.iso.datetime(), 'When EventBridge received the event.'),
  region: described(z.string(), 'The AWS region of the bus.'),
  resources: described(z.array(z.string()), 'Empty.'),
  'replay-name': described(z.string(), 'Set by EventBridge on an event replayed from an archive: the replay.').optional(),
};

/** The whole EventBridge event of one detail-type. */
export function amaniEventSchemaFor<const N extends string, D extends z.ZodType>(detailType: N, data: D) {
  const id = detailType
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
  return z
    .looseObject({
      ...envelopeFields,
      'detail-type': described(z.literal(detailType), `The Amani event name: ${detailType}.`),
      detail: amaniDetailSchema(data).register(CONTRACT_REGISTRY, { id: `${id}Detail`, description: `The detail of ${detailType}.` }),
    })
    .register(CONTRACT_REGISTRY, { description: `An Amani ${detailType} delivery, authenticated by amani-webhooks.` });
}

/** One event schema per detail-type the receiver publishes: Amani's ten events and `webhook` (a body naming none). */
export const AMANI_EVENT_SCHEMAS = {
  profile_create: amaniEventSchemaFor('profile_create', AMANI_PAYLOAD_SCHEMAS.profile_create),
  profile_update: amaniEventSchemaFor('profile_update', AMANI_PAYLOAD_SCHEMAS.profile_update),
  profile_status_change: amaniEventSchemaFor('profile_status_change', AMANI_PAYLOAD_SCHEMAS.profile_status_change),
  profile_level_update: amaniEventSchemaFor('profile_level_update', AMANI_PAYLOAD_SCHEMAS.profile_level_update),
  document_upload: amaniEventSchemaFor('document_upload', AMANI_PAYLOAD_SCHEMAS.document_upload),
  document_delete: amaniEventSchemaFor('document_delete', AMANI_PAYLOAD_SCHEMAS.document_delete),
  document_update: amaniEventSchemaFor('document_update', AMANI_PAYLOAD_SCHEMAS.document_update),
  document_status_change: amaniEventSchemaFor('document_status_change', AMANI_PAYLOAD_SCHEMAS.document_status_change),
  zip_file_create: amaniEventSchemaFor('zip_file_create', AMANI_PAYLOAD_SCHEMAS.zip_file_create),
  video_call_status_change: amaniEventSchemaFor('video_call_status_change', AMANI_PAYLOAD_SCHEMAS.video_call_status_change),
  webhook: amaniEventSchemaFor(DEFAULT_DETAIL_TYPE, unnamedPayloadSchema),
};

export type AmaniDetailType = keyof typeof AMANI_EVENT_SCHEMAS;
