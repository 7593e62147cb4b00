/**
 * The webhook events Amani documents (`GET /api/v2/webhook/events`). `PUT /api/v2/webhook` takes
 * one boolean per event and leaves every event it is not told about disabled, so registration
 * always sends all of them. The one list of event names: the CDK context schema, the
 * registration handler, the CLI, the Amani simulator and sender all use it.
 */
export const AMANI_EVENTS = [
  'profile_create',
  'profile_update',
  'profile_status_change',
  'profile_level_update',
  'document_upload',
  'document_delete',
  'document_update',
  'document_status_change',
  'zip_file_create',
  'video_call_status_change',
] as const;

export type AmaniEventName = (typeof AMANI_EVENTS)[number];

/** One boolean per known event: true for the enabled ones, false for every other. */
export function eventSwitches(enabled: readonly string[]): Record<AmaniEventName, boolean> {
  const wanted = new Set(enabled);
  return Object.fromEntries(AMANI_EVENTS.map((name) => [name, wanted.has(name)])) as Record<AmaniEventName, boolean>;
}
