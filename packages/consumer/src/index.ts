/**
 * @amani-webhooks/events: what a team consuming amani-webhooks events codes against. The event
 * contract (zod schemas and their TypeScript types, declared once in the product's core), a parser
 * for the EventBridge events (also usable with Powertools' parser and its EventBridge envelope),
 * rule-pattern helpers, and an event-pattern matcher to test rules against sample events.
 */
export { AMANI_EVENTS, type AmaniEventName } from '../../../lambda/core/amani-events';
export {
  amaniDocumentSchema,
  amaniProfileSchema,
  amaniVideoCallSchema,
  amaniZipFileSchema,
  AMANI_PAYLOAD_SCHEMAS,
  documentPayloadSchema,
  normalizeProfileStatus,
  profilePayloadSchema,
  profileStatusSpellings,
  PROFILE_STATUSES,
  titleCaseStatus,
  unnamedPayloadSchema,
  videoCallPayloadSchema,
  zipFilePayloadSchema,
  type AmaniDocument,
  type AmaniProfile,
  type AmaniVideoCall,
  type AmaniZipFile,
  type DocumentPayload,
  type ProfilePayload,
  type ProfileStatus,
  type UnnamedPayload,
  type VideoCallPayload,
  type ZipFilePayload,
} from '../../../lambda/core/amani-payloads';
export {
  AMANI_EVENT_SCHEMAS,
  DEFAULT_DETAIL_TYPE,
  DEFAULT_EVENT_SOURCE,
  deliveryMetadataSchema,
  EVENT_CONTRACT_VERSION,
  type AmaniDetailType,
} from '../../../lambda/core/event-contract';
export {
  AMANI_DETAIL_SCHEMAS,
  AmaniEventParseError,
  amaniEventSchema,
  parseAmaniEvent,
  safeParseAmaniEvent,
  type AmaniDeliveryMetadata,
  type AmaniEvent,
  type AmaniEventDetail,
  type AmaniEventOf,
  type ParseAmaniEventOptions,
  type SafeParseAmaniEventResult,
} from './parse';
export { amaniEventPattern, toCdkEventPattern, type AmaniEventPattern, type AmaniEventPatternOptions } from './patterns';
export { eventPatternProblems, matchesEventPattern, type EventPattern } from './event-pattern';
