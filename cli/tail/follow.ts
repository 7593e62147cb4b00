/** What following a bus needs, whichever way the events arrive (a temporary rule and queue, or the local event log). */
export interface FollowOptions {
  /** The EventBridge pattern selecting the events to show. */
  readonly pattern: Record<string, unknown>;
  /** Aborting stops following; the promise resolves once what was created is deleted. */
  readonly signal: AbortSignal;
  /** Each matching event, as EventBridge delivers it. */
  onEvent(event: Record<string, unknown>): void;
  /** Progress for people (stderr). */
  onStatus(text: string): void;
}
