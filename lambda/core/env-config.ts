import * as z from 'zod/mini';
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

export function parseEnvironment<S extends z.core.$ZodType>(
  runtime: string,
  schema: S,
  env: Record<string, string | undefined>,
): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  throw new ConfigurationError(
    runtime,
    result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
  );
}
