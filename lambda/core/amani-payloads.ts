import * as z from 'zod';
import type { AmaniEventName } from './amani-events';

/**
 * What is known of the `data` of each of Amani's events: the fields Amani's documentation shows
 * and the simulator sends (local/amani-sender.ts), all optional, every object open to fields not
 * named here. Amani documents examples, not a schema, and adds fields without notice: a consumer
 * parsing with these schemas never breaks on an unknown field, and never relies on a field being
 * present that Amani did not promise.
 */

/** Field descriptions (and, in the JSON Schema generator, component names) of the event contract, apart from zod's global registry. */
export const CONTRACT_REGISTRY = z.registry<{ readonly id?: string; readonly description?: string }>();

/** Attaches a description for the generated JSON Schema; returns the schema itself. */
export function described<T extends z.ZodType>(schema: T, description: string): T {
  CONTRACT_REGISTRY.add(schema as z.ZodType, { description });
  return schema;
}

/** Profile statuses as Amani's documentation spells them (upper case with underscores). */
export const PROFILE_STATUSES = [
  'CREATED',
  'INCOMPLETE',
  'PENDING_REVIEW',
  'APPROVED',
  'REJECTED',
  'BLACKLISTED',
  'PENDING_APPROVAL',
  'PENDING_UPLOAD',
  'INACTIVE',
] as const;

export type ProfileStatus = (typeof PROFILE_STATUSES)[number];

/** The title-case spelling some of Amani's answers show (`Pending Review`) for each status. */
export function titleCaseStatus(status: ProfileStatus): string {
  return status
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** Both spellings of a known status, or the value alone when it is not a known status in either spelling. */
export function profileStatusSpellings(value: string): readonly string[] {
  const status = normalizeProfileStatus(value);
  return status ? [status, titleCaseStatus(status)] : [value];
}

/** `APPROVED` for `APPROVED` and `Approved`, `PENDING_REVIEW` for `Pending Review`; undefined for an unknown value. */
export function normalizeProfileStatus(value: string): ProfileStatus | undefined {
  const upper = value.trim().toUpperCase().replace(/ /g, '_');
  return (PROFILE_STATUSES as readonly string[]).includes(upper) ? (upper as ProfileStatus) : undefined;
}

const text = (description: string) => described(z.string(), description).optional();
const number = (description: string) => described(z.number(), description).optional();

const statusDescription = `The profile's status. Known values, in either spelling Amani uses: ${PROFILE_STATUSES.map(
  (s) => `${s} / ${titleCaseStatus(s)}`,
).join(', ')}. Other values may appear.`;

/** The profile an event is about. Personal data: never log it. */
export const amaniProfileSchema = z
  .looseObject({
    id: text("Amani's id of the profile (not a delivery id)"),
    company_id: text('The Amani company (account) the profile belongs to'),
    status: text(statusDescription),
    level: number('Verification level'),
    first_name: text('Personal data'),
    last_name: text('Personal data'),
    birth_date: text('Personal data (YYYY-MM-DD)'),
    id_card_number: text('Personal data'),
    nationality: text('Nationality (ISO 3166-1 alpha-3)'),
    address: described(
      z.looseObject({
        city: text('Personal data'),
        line1: text('Personal data'),
      }),
      'Personal data',
    ).optional(),
    risk_score: number('Risk score'),
    updated_at: text('When the profile last changed (ISO-8601)'),
  })
  .register(CONTRACT_REGISTRY, { id: 'AmaniProfile', description: 'The profile the event is about. Personal data: never log it.' });

export const amaniDocumentSchema = z
  .looseObject({
    id: text("Amani's id of the document"),
    type: text('Document type code (ID, PA, DL, SE, ...)'),
    status: text('Document status (UPLOADED, APPROVED, REJECTED, ...)'),
    version: number('Document version'),
  })
  .register(CONTRACT_REGISTRY, { id: 'AmaniDocument', description: 'The document the event is about.' });

export const amaniZipFileSchema = z
  .looseObject({
    url: text('Where the export can be downloaded'),
    size_bytes: number('Size of the export'),
  })
  .register(CONTRACT_REGISTRY, { id: 'AmaniZipFile', description: "The profile's export archive." });

export const amaniVideoCallSchema = z
  .looseObject({
    id: text("Amani's id of the video call"),
    status: text('Video call status (COMPLETED, ...)'),
    duration_seconds: number('Call duration'),
  })
  .register(CONTRACT_REGISTRY, { id: 'AmaniVideoCall', description: 'The video call the event is about.' });

const commonFields = {
  // Any JSON value: the receiver names the event from the first configured field holding a plain
  // name, so `event` may hold something else when another field named it.
  event: described(z.unknown(), 'The event name as Amani wrote it, usually a string; detail-type is the reliable name.').optional(),
  created_at: text('When Amani created the event (ISO-8601)'),
  profile: amaniProfileSchema.optional(),
};

function payload<const S extends z.ZodRawShape>(id: string, description: string, fields: S) {
  return z.looseObject({ ...commonFields, ...fields }).register(CONTRACT_REGISTRY, { id, description });
}

/** A profile event's `data`: the event name, its time and the profile. */
export const profilePayloadSchema = payload('AmaniProfilePayload', 'The Amani delivery of a profile event, as signed.', {});
export const documentPayloadSchema = payload('AmaniDocumentPayload', 'The Amani delivery of a document event, as signed.', {
  document: amaniDocumentSchema.optional(),
});
export const zipFilePayloadSchema = payload('AmaniZipFilePayload', 'The Amani delivery of zip_file_create, as signed.', {
  zip_file: amaniZipFileSchema.optional(),
});
export const videoCallPayloadSchema = payload('AmaniVideoCallPayload', 'The Amani delivery of video_call_status_change, as signed.', {
  video_call: amaniVideoCallSchema.optional(),
});
/** The `data` of a delivery that named no event (detail-type `webhook`): any JSON object. */
export const unnamedPayloadSchema = z
  .looseObject({})
  .register(CONTRACT_REGISTRY, { id: 'AmaniUnnamedPayload', description: 'An authentic Amani delivery whose body named no event.' });

/** The `data` schema of each Amani event. */
export const AMANI_PAYLOAD_SCHEMAS = {
  profile_create: profilePayloadSchema,
  profile_update: profilePayloadSchema,
  profile_status_change: profilePayloadSchema,
  profile_level_update: profilePayloadSchema,
  document_upload: documentPayloadSchema,
  document_delete: documentPayloadSchema,
  document_update: documentPayloadSchema,
  document_status_change: documentPayloadSchema,
  zip_file_create: zipFilePayloadSchema,
  video_call_status_change: videoCallPayloadSchema,
} as const satisfies Record<AmaniEventName, z.ZodType>;

export type AmaniProfile = z.output<typeof amaniProfileSchema>;
export type AmaniDocument = z.output<typeof amaniDocumentSchema>;
export type AmaniZipFile = z.output<typeof amaniZipFileSchema>;
export type AmaniVideoCall = z.output<typeof amaniVideoCallSchema>;
export type ProfilePayload = z.output<typeof profilePayloadSchema>;
export type DocumentPayload = z.output<typeof documentPayloadSchema>;
export type ZipFilePayload = z.output<typeof zipFilePayloadSchema>;
export type VideoCallPayload = z.output<typeof videoCallPayloadSchema>;
export type UnnamedPayload = z.output<typeof unnamedPayloadSchema>;
