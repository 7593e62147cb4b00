/** The CLI process: runs one command and exits with its code (cli/command.ts). */
import { tolerateClosedOutput } from '../local/closed-output';
import { run } from './main';

tolerateClosedOutput();
// The local target runs the rotator in this process; its JSON logs are for CloudWatch, and the
// CLI reports a failure itself. POWERTOOLS_LOG_LEVEL=DEBUG shows them.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`unexpected error: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
