/**
 * What every CLI command is made of: its options, help text and `--json` shape live in its own
 * file under cli/commands/; cli/main.ts only finds the command and runs it.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Target } from './target';

/**
 * Exit codes: 0 done as asked; 1 the operation failed (or a delivery was not answered as
 * expected); 2 usage error; 3 target not found; 4 partly done (redrive left deliveries behind).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, targetNotFound: 3, partial: 4 } as const;

/** The caller asked for something the command cannot do as asked (exit 2); the message says why, briefly. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** Where a command writes: `out` is the result (stdout), `err` progress and problems (stderr). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandContext {
  readonly target: Target;
  readonly values: OptionValues;
  /** Positional arguments after the command name. */
  readonly args: readonly string[];
  /** The result: `human` as text, or `data` as one JSON document with --json. */
  print(human: string, data: Record<string, unknown>): void;
  /** One item of a stream (`tail`): `human` as a line, or `data` as one line of JSON with --json (JSON Lines). */
  stream(human: string, data: Record<string, unknown>): void;
  /** Progress and notes, on stderr (never mixed into --json output). */
  progress(text: string): void;
  /** A warning: on stderr, and collected into the JSON result's `warnings`. */
  warn(text: string): void;
}

export interface Command {
  readonly name: string;
  /** One line for the global help. */
  readonly summary: string;
  /** `name <args> [options]`, for the global help and the command's own. */
  readonly usage: string;
  /** The command's own help: what it does, its options, what `--json` prints and its exit codes. */
  readonly help: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Checks the arguments before any target is looked up; throws UsageError. */
  validate?(values: OptionValues, args: readonly string[]): void;
  run(context: CommandContext): Promise<number>;
}

/** Options every command accepts: where it acts and how it prints. */
export const GLOBAL_OPTIONS = {
  stage: { type: 'string' },
  region: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_HELP = `Target (default: the local mode started by \`npm start\`):
  --stage <stage>     a deployed stack, AmaniWebhooks-<stage> (AWS default credential chain)
  --region <region>   its region (default: from the environment/profile)
  --data-dir <dir>    the local mode's state directory (default .local)

Output:
  --json              one JSON document on stdout, also for errors: {"ok": false, "error": {"kind", "message"}}
                      (progress and warnings go to stderr)
  -h, --help          help

Exit codes: 0 done, 1 failed, 2 usage error, 3 target not found, 4 partly done.`;
