/**
 * What a failed rotation left behind. A rotation can fail after Amani accepted the new token
 * (the rotator died, Secrets Manager refused the write): then Amani signs with a token the
 * receiver does not know until a sync stores it. So the CLI runs a sync right after a failed
 * rotation and reports the state the token is in, in words an operator can act on.
 */

/** `unchanged`: Amani still has the stored token. `rotated`: Amani has a new one, now stored. `unknown`: the sync failed too. */
export type TokenState = 'unchanged' | 'rotated' | 'unknown';

export interface SyncAfterFailure {
  readonly ok: boolean;
  /** The rotator's summary when the sync succeeded. */
  readonly summary?: { readonly outcome?: string; readonly previousTokenValidUntil?: string };
  /** Its error message when it failed. */
  readonly error?: string;
}

export interface FailedRotationReport {
  readonly tokenState: TokenState;
  readonly lines: readonly string[];
}

/** The scheduled sync's period (infra/constructs/token-rotation.ts), for the "when does it heal" line. */
export const SCHEDULED_SYNC_MINUTES = 15;

export function describeFailedRotation(request: { readonly revokePrevious: boolean }, sync: SyncAfterFailure): FailedRotationReport {
  if (!sync.ok) {
    return {
      tokenState: 'unknown',
      lines: [
        `token state       UNKNOWN: the sync after the failure failed too (${sync.error ?? 'no message'})`,
        "                  if Amani accepted the rotation, genuine deliveries are refused (401) until a sync stores Amani's token;",
        `                  the scheduled sync retries every ${SCHEDULED_SYNC_MINUTES} minutes. Fix the cause, then run: npx amani-webhooks sync`,
      ],
    };
  }
  const outcome = sync.summary?.outcome;
  if (outcome === 'reconciled' || outcome === 'bootstrapped') {
    const graceEnd = sync.summary?.previousTokenValidUntil;
    return {
      tokenState: 'rotated',
      lines: [
        'token state       ROTATED: Amani had a new token (the rotation took effect before it failed); the sync stored it, deliveries are accepted',
        graceEnd ? `                  the previous token is accepted until ${graceEnd}` : '                  no previous token is accepted',
        ...(request.revokePrevious && graceEnd
          ? ['                  the previous token was NOT revoked: run `npx amani-webhooks rotate --revoke-previous` again to revoke it']
          : []),
      ],
    };
  }
  return {
    tokenState: 'unchanged',
    lines: [
      'token state       UNCHANGED: Amani still has the stored token; the rotation did not happen and deliveries are unaffected',
      '                  fix the cause above, then rotate again',
    ],
  };
}

/** What the rotator returns from a successful run, as far as the CLI shows it. */
export interface RotatorSummary {
  readonly outcome?: string;
  readonly rotatedAt?: string;
  readonly previousTokenValidUntil?: string;
  readonly reconciled?: boolean;
}

/** One line for a successful rotate or sync. */
export function summaryLine(summary: RotatorSummary): string {
  return `${summary.outcome ?? 'done'}${summary.reconciled ? ' (repaired a secret that disagreed with Amani)' : ''}; rotatedAt ${summary.rotatedAt ?? '-'}; previous token accepted until ${summary.previousTokenValidUntil ?? '-'}`;
}
