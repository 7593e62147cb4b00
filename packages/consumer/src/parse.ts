import * as z from 'zod';
import {
  type deliveryMetadataSchema,
  DEFAULT_EVENT_SOURCE,
  AMANI_EVENT_SCHEMAS,
  type AmaniDetailType,
} from '../../../lambda/core/event-contract';

const S = AMANI_EVENT_SCHEMAS;

/** Any event this product publishes, told apart by `detail-type` (Powertools: `parser({ schema: amaniEventSchema })`). */
export const amaniEventSchema = z.discriminatedUnion('detail-type', [
  S.profile_create,
  S.profile_update,
  S.profile_status_change,
  S.profile_level_update,
  S.document_upload,
  S.document_delete,
  S.document_update,
  S.document_status_change,
  S.zip_file_create,
  S.video_call_status_change,
  S.webhook,
]);

/**
 * `detail` of each detail-type, for Powertools' EventBridge envelope, which hands the schema the
 * detail alone: `parser({ schema: AMANI_DETAIL_SCHEMAS.profile_status_change, envelope: EventBridgeEnvelope })`.
 */
export const AMANI_DETAIL_SCHEMAS = {
  profile_create: S.profile_create.shape.detail,
  profile_update: S.profile_update.shape.detail,
  profile_status_change: S.profile_status_change.shape.detail,
  profile_level_update: S.profile_level_update.shape.detail,
  document_upload: S.document_upload.shape.detail,
  document_delete: S.document_delete.shape.detail,
  document_update: S.document_update.shape.detail,
  document_status_change: S.document_status_change.shape.detail,
  zip_file_create: S.zip_file_create.shape.detail,
  video_call_status_change: S.video_call_status_change.shape.detail,
  webhook: S.webhook.shape.detail,
} satisfies Record<AmaniDetailType, z.ZodType>;

/** Any event of this product. */
export type AmaniEvent = z.output<typeof amaniEventSchema>;
/** The event of one detail-type: `AmaniEventOf<'profile_status_change'>`. */
export type AmaniEventOf<T extends AmaniDetailType> = Extract<AmaniEvent, { 'detail-type': T }>;
/** `detail` of one detail-type. */
export type AmaniEventDetail<T extends AmaniDetailType> = AmaniEventOf<T>['detail'];
/** `detail.metadata` as a consumer reads it. */
export type AmaniDeliveryMetadata = z.output<typeof deliveryMetadataSchema>;

export interface ParseAmaniEventOptions<T extends AmaniDetailType> {
  /** The detail-types the caller handles; any other is an error. Default: every one this package knows. */
  readonly events?: readonly T[];
  /** The stack's `eventSource` setting; default `amani`. */
  readonly source?: string;
}

/** Why an event did not parse: where (paths into the event) and what, never a value from it (events carry personal data). */
export class AmaniEventParseError extends Error {
  override name = 'AmaniEventParseError';

  constructor(
    message: string,
    readonly issues: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(message);
  }
}

export type SafeParseAmaniEventResult<T extends AmaniDetailType> =
  | { readonly success: true; readonly event: AmaniEventOf<T> }
  | { readonly success: false; readonly error: AmaniEventParseError };

/**
 * The typed event, or an `AmaniEventParseError`: checks the source, the detail-type (one of
 * `events`), the receiver's metadata, and the payload as far as it is known. Unknown fields are
 * kept everywhere; a missing `metadata.version` reads as "1".
 */
export function parseAmaniEvent<T extends AmaniDetailType = AmaniDetailType>(
  event: unknown,
  options: ParseAmaniEventOptions<T> = {},
): AmaniEventOf<T> {
  const parsed = safeParseAmaniEvent(event, options);
  if (!parsed.success) throw parsed.error;
  return parsed.event;
}

/** `parseAmaniEvent` without throwing. */
export function safeParseAmaniEvent<T extends AmaniDetailType = AmaniDetailType>(
  event: unknown,
  options: ParseAmaniEventOptions<T> = {},
): SafeParseAmaniEventResult<T> {
  const fail = (message: string, issues: AmaniEventParseError['issues'] = []) =>
    ({ success: false, error: new AmaniEventParseError(message, issues) }) as const;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return fail('not an EventBridge event (not an object)');
  const { source, 'detail-type': detailType } = event as Record<string, unknown>;
  const expectedSource = options.source ?? DEFAULT_EVENT_SOURCE;
  if (source !== expectedSource) return fail(`source is not "${expectedSource}" (pass { source } when the stack's eventSource differs)`);
  if (typeof detailType !== 'string') return fail('detail-type is missing');
  const wanted: readonly string[] = options.events ?? Object.keys(AMANI_EVENT_SCHEMAS);
  if (!wanted.includes(detailType) || !Object.hasOwn(AMANI_EVENT_SCHEMAS, detailType)) {
    const known = Object.hasOwn(AMANI_EVENT_SCHEMAS, detailType);
    return fail(
      known
        ? `detail-type ${safeName(detailType)} is not one of the events handled here (${wanted.join(', ')})`
        : `detail-type ${safeName(detailType)} is not known to this version of @amani-webhooks/events; match only the events you handle (amaniEventPattern({ events }))`,
    );
  }
  const parsed = AMANI_EVENT_SCHEMAS[detailType as AmaniDetailType].safeParse(event);
  if (parsed.success) return { success: true, event: parsed.data as AmaniEventOf<T> };
  const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(event)', message: issue.message }));
  return fail(
    `not a valid ${detailType} event: ${issues
      .slice(0, 5)
      .map((i) => `${i.path}: ${i.message}`)
      .join('; ')}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`,
    issues,
  );
}

/** A detail-type for an error message: shown only when it is a plain name, so no payload text can leak through it. */
function safeName(detailType: string): string {
  return /^[A-Za-z0-9_.:-]{1,128}$/.test(detailType) ? `"${detailType}"` : '(not a plain name)';
}
