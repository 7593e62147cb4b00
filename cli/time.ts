/**
 * Times on the command line: `now`, a duration back from now (`90s`, `30m`, `1h`, `7d`), or an
 * ISO-8601 time (`2026-11-30T10:00:00Z`, `2026-11-30`), always read as UTC when no offset is given.
 */
import { UsageError } from './command';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The time `text` names, relative to `now`; a UsageError naming `flag` when it names none. */
export function parseTime(text: string, flag: string, now: Date = new Date()): Date {
  const value = text.trim();
  if (value === 'now') return now;
  const duration = /^(\d+)\s*([smhd])$/.exec(value);
  if (duration) return new Date(now.getTime() - Number(duration[1]) * (UNIT_MS[duration[2] as string] as number));
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value)
    ? Date.parse(/T.*(Z|[+-]\d{2}:?\d{2})$/.test(value) || !value.includes('T') ? value : `${value}Z`)
    : Number.NaN;
  if (Number.isNaN(iso)) {
    throw new UsageError(
      `${flag} must be now, a duration back from now (30m, 1h, 7d) or an ISO-8601 time (2026-11-30T10:00:00Z); got "${text}"`,
    );
  }
  return new Date(iso);
}
