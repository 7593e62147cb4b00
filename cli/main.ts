/**
 * `npx amani-webhooks <command>`: finds the command (cli/commands/), parses its options, resolves
 * the target it acts on (cli/target.ts) and runs it. Every error ends the same way: a short
 * message on stderr (and `{"ok": false, "error": ...}` on stdout with --json), and the exit code
 * of cli/command.ts.
 */
import { parseArgs } from 'node:util';
import { EXIT, GLOBAL_HELP, GLOBAL_OPTIONS, UsageError, type Command, type Io, type OptionValues } from './command';
import { deliveries } from './commands/deliveries';
import { delivery } from './commands/delivery';
import { events } from './commands/events';
import { redrive } from './commands/redrive';
import { replay } from './commands/replay';
import { register } from './commands/register';
import { rotate } from './commands/rotate';
import { send } from './commands/send';
import { status } from './commands/status';
import { sync } from './commands/sync';
import { tail } from './commands/tail';
import { describeFailure } from '../local/describe-failure';
import { resolveTarget, TargetNotFoundError } from './target';

export { EXIT } from './command';

const PROGRAM = 'amani-webhooks';
export const COMMANDS: readonly Command[] = [events, register, status, rotate, sync, send, redrive, tail, deliveries, delivery, replay];

export const HELP = `Usage: npx ${PROGRAM} <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}

${GLOBAL_HELP}

\`npx ${PROGRAM} <command> --help\` shows a command's options, its --json output and exit codes.
`;

const defaultIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function run(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const json = argv.includes('--json');
  const fail = (kind: 'usage' | 'target-not-found' | 'failed', message: string, extra: Record<string, unknown> = {}) => {
    if (json) io.out(`${JSON.stringify({ ok: false, error: { kind, ...extra, message } }, null, 2)}\n`);
  };
  const name = commandName(argv);
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) {
      if (name === undefined && argv.some((arg) => arg === '--help' || arg === '-h')) {
        io.out(HELP);
        return EXIT.ok;
      }
      if (name === undefined) {
        io.err(HELP);
        fail('usage', 'a command is required');
        return EXIT.usage;
      }
      throw new UsageError(`Unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
    const { values, positionals } = parseCommandLine(command, argv);
    if (values.help) {
      io.out(`Usage: npx ${PROGRAM} ${command.usage}\n\n${command.help}\n\n${GLOBAL_HELP}\n`);
      return EXIT.ok;
    }
    const args = positionals.slice(1);
    command.validate?.(values, args);
    const target = await resolveTarget({
      ...(values.stage ? { stage: String(values.stage) } : {}),
      ...(values.region ? { region: String(values.region) } : {}),
      ...(values['data-dir'] ? { dataDir: String(values['data-dir']) } : {}),
    });
    const warnings: string[] = [];
    return await command.run({
      target,
      values,
      args,
      print: (human, data) =>
        io.out(json ? `${JSON.stringify(warnings.length > 0 ? { ...data, warnings } : data, null, 2)}\n` : `${human}\n`),
      stream: (human, data) => io.out(json ? `${JSON.stringify(data)}\n` : `${human}\n`),
      progress: (text) => io.err(`${text}\n`),
      warn: (text) => {
        warnings.push(text);
        io.err(`warning: ${text}\n`);
      },
    });
  } catch (error) {
    const prefix = command ? `${PROGRAM} ${command.name}` : PROGRAM;
    if (error instanceof UsageError) {
      io.err(`${prefix}: ${error.message}\nRun \`npx ${prefix} --help\` for usage.\n`);
      fail('usage', error.message);
      return EXIT.usage;
    }
    if (error instanceof TargetNotFoundError) {
      io.err(`${error.message}\n`);
      fail('target-not-found', error.message);
      return EXIT.targetNotFound;
    }
    const failure = describeFailure(error);
    const errorName = (error as { name?: unknown } | undefined)?.name;
    io.err(`${command?.name ?? PROGRAM} failed: ${failure.message}\n${failure.hint ? `${failure.hint}\n` : ''}`);
    fail('failed', failure.message, {
      name: typeof errorName === 'string' ? errorName : 'Error',
      cause: failure.kind,
      ...(failure.hint ? { hint: failure.hint } : {}),
    });
    return EXIT.failed;
  }
}

/** The first positional argument, skipping the values of options that take one. */
function commandName(argv: readonly string[]): string | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { ...GLOBAL_OPTIONS };
  for (const command of COMMANDS) Object.assign(options, command.options);
  return parseArgs({ args: [...argv], options, strict: false, allowPositionals: true }).positionals[0];
}

function parseCommandLine(command: Command, argv: readonly string[]): { values: OptionValues; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...argv], options: { ...GLOBAL_OPTIONS, ...command.options }, strict: true, allowPositionals: true });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (error) {
    // Node's messages are long and generic; say what was wrong in one line.
    const e = error as NodeJS.ErrnoException;
    const option = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new UsageError(`unknown option ${option ?? ''} for ${command.name}`.replace('  ', ' '));
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(
        `${option ?? 'an option'} ${/argument missing|argument is ambiguous/.test(e.message) ? 'needs a value' : 'takes no value'}`,
      );
    throw new UsageError(e.message.split('\n')[0] ?? 'invalid arguments');
  }
}
