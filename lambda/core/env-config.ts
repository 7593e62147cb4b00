import { z } from 'zod';
import { SafeError } from './errors';

/**
 * Each runtime validates its environment once, at cold start, and fails with a message that
 * names every offending variable (never its value: some hold ARNs or URLs worth keeping out of
 * error trackers, and a misplaced secret would be worse).
 */
export class ConfigurationError extends SafeError {
  constructor(runtime: string, problems: readonly string[]) {
    super(`Invalid ${runtime} configuration: ${problems.join('; ')}`, { failure: 'client' });
    this.name = 'ConfigurationError';
  }
}

export function parseEnvironment<S extends z.ZodType>(
  runtime: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigurationError(
    runtime,
    result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
  );
}

/** Building blocks shared by the runtimes' schemas. */
export const env = {
  required: (what: string) => z.string({ error: `is required (${what})` }).trim().min(1, `is required (${what})`),
  integer: (fallback: number, min: number, max: number) =>
    z.coerce
      .number({ error: 'must be a whole number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(fallback),
  /** A comma-separated list; empty items are dropped. */
  list: (fallback: readonly string[]) =>
    z
      .string()
      .optional()
      .transform((value) =>
        value === undefined
          ? [...fallback]
          : value
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item !== ''),
      ),
  /** An HTTP header name per RFC 9110's token grammar. */
  headerName: (fallback: string) =>
    z
      .string()
      .trim()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a valid HTTP header name')
      .default(fallback),
  authMode: () => z.enum(['signature', 'token'], { error: "must be 'signature' or 'token'" }).default('signature'),
};
