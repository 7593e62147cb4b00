/**
 * The event contract's plain values (event-contract.ts re-exports them; they are declared here
 * only). Kept apart from the contract's zod schemas so that what needs only the values - the
 * receiver builds every event from them - does not build the schemas of every event and payload
 * when it loads.
 */

/** `detail.metadata.version` of every event published under this contract. */
export const EVENT_CONTRACT_VERSION = '1';
/** EventBridge `source` unless the `eventSource` setting names another. */
export const DEFAULT_EVENT_SOURCE = 'amani';
/** DetailType when the body names no event. */
export const DEFAULT_DETAIL_TYPE = 'webhook';
/** Event names and delivery ids: short and inert (they become DetailType, log fields and dedup keys). */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Signature mode: whether the raw body or its Python `json.dumps` form was signed. */
export const SIGNATURE_FORMS = ['raw', 'python-json'] as const;
export const TOKEN_GENERATIONS = ['current', 'previous'] as const;
