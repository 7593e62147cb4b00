/** The CLI process: runs one command and exits with its code (see main.ts for the codes). */
import { run } from './main';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
