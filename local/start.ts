/**
 * `npm start`: runs the whole product on this machine (see local-stack.ts) and prints each
 * event as it lands on the local bus. Ctrl-C stops everything.
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import type { BusEvent } from './aws-emulator';
import { StackNotFoundError } from './deployed-stack';
import { startDeployedStackEndpoint, startLocalStack } from './local-stack';

const HELP = `Usage: npm start -- [options]

Runs the receiver behind a local API Gateway stand-in, the rotator, an Amani simulator and
local stand-ins for Secrets Manager, EventBridge and SQS (state in .local/). No AWS account needed.

Options:
  --port <n>           receiver endpoint port (default 3000; 0 = any free port)
  --amani-port <n>     Amani simulator port (default 3100)
  --aws-port <n>       local AWS stand-in port (default 4566)
  --auth-mode <mode>   signature (default) or token
  --grace <minutes>    previous token grace after a rotation (default 60; decimals allowed, 0.1 = 6 s)
  --data-dir <dir>     where local state lives (default .local)
  --fresh              start from empty state
  --verbose            also print the receiver's and rotator's JSON logs and the Amani requests
  -h, --help           this text

  --stage <stage>      instead of the stand-ins, use the real AWS services of the deployed stack
                       AmaniWebhooks-<stage> (its token secret, bus and fallback queue, found via
                       its outputs) through the default AWS credential chain; no simulator
  --region <region>    that stack's region (default: from the environment/profile)

The CLI works against either: npx amani-webhooks --help
`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: 'string', default: '3000' },
        'amani-port': { type: 'string', default: '3100' },
        'aws-port': { type: 'string', default: '4566' },
        'auth-mode': { type: 'string', default: 'signature' },
        grace: { type: 'string', default: '60' },
        'data-dir': { type: 'string', default: '.local' },
        fresh: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        stage: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const ports = { receiver: port(args.port, '--port'), amani: port(args['amani-port'], '--amani-port'), aws: port(args['aws-port'], '--aws-port') };
  const grace = Number(args.grace);
  if (args['auth-mode'] !== 'signature' && args['auth-mode'] !== 'token') throw new UsageError("--auth-mode must be 'signature' or 'token'");
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError('--grace must be a number of minutes (0 or more)');

  if (!args.verbose) {
    // The product logs JSON lines for CloudWatch; locally the readable event lines say enough.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  if (args.stage) return runOnDeployedStack(args.stage, args.region, ports.receiver, args['data-dir']);
  const stack = await startLocalStack({
    dataDir: args['data-dir'],
    fresh: args.fresh,
    receiverPort: ports.receiver,
    amaniPort: ports.amani,
    awsPort: ports.aws,
    authMode: args['auth-mode'],
    previousTokenGraceMinutes: grace,
    onEvent: printEvent,
    ...(args.verbose ? { onAmaniRequest: (line: string) => process.stdout.write(`  amani  ${line}\n`) } : {}),
  });
  const { runtime } = stack;
  process.stdout.write(
    [
      '',
      'amani-webhooks local mode is running',
      `  receiver   POST ${runtime.receiverUrl}   (API Gateway stand-in -> the receiver Lambda handler)`,
      `  Amani      ${runtime.amaniBaseUrl}   (simulated management API; webhook registered, ${runtime.authMode} mode)`,
      `  AWS        ${runtime.awsEndpoint}   (local Secrets Manager, EventBridge, SQS; state in ${relative(process.cwd(), runtime.eventsFile).replace(/events\.jsonl$/, '') || '.'})`,
      `  events     ${relative(process.cwd(), runtime.eventsFile)}`,
      '',
      'Send a signed sample delivery (in another terminal):',
      '  npx amani-webhooks send profile_status_change',
      '',
      'Then try: npx amani-webhooks send document_upload --tamper | npx amani-webhooks rotate --force | npx amani-webhooks status',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('\nstopping...\n');
  await stack.close();
  return 0;
}

async function runOnDeployedStack(stage: string, region: string | undefined, port: number, dataDir: string | undefined): Promise<number> {
  const endpoint = await startDeployedStackEndpoint({ stage, receiverPort: port, ...(region ? { region } : {}), ...(dataDir ? { dataDir } : {}) });
  const { runtime } = endpoint;
  process.stdout.write(
    [
      '',
      `amani-webhooks local endpoint on the deployed stack ${runtime.stack?.name} (${runtime.region})`,
      `  receiver   POST ${runtime.receiverUrl}   (the receiver code, on this machine)`,
      `  AWS        real: token secret, bus ${runtime.eventBusName}, fallback queue (default credential chain)`,
      `  Amani      ${runtime.amaniBaseUrl} (real)`,
      '',
      'Send a delivery signed with the stack\'s current token (read from Amani with the stack\'s credentials):',
      '  npx amani-webhooks send profile_status_change',
      'Events land on the real bus; the CLI rotates through the deployed rotator. Ctrl-C stops.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await endpoint.close();
  return 0;
}

function printEvent(event: BusEvent): void {
  const detail = event.detail as { metadata?: Record<string, unknown> };
  const meta = detail.metadata ?? {};
  process.stdout.write(
    `  event  ${event.time}  ${event.source} / ${event['detail-type']}  deliveryId=${String(meta.deliveryId ?? '?').slice(0, 16)}  ` +
      `auth=${String(meta.authMode)}${meta.signatureForm ? `/${String(meta.signatureForm)}` : ''} token=${String(meta.tokenGeneration)}\n`,
  );
}

class UsageError extends Error {}

function port(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (0-65535)`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const err = error as NodeJS.ErrnoException & { port?: number };
    if (err instanceof UsageError || err instanceof StackNotFoundError) process.stderr.write(`${err.message}\n`);
    else if (err?.code === 'EADDRINUSE') {
      process.stderr.write(`Port ${err.port ?? ''} is already in use. Stop what uses it, or pick another with --port/--amani-port/--aws-port (0 = any free port).\n`);
    } else process.stderr.write(`Could not start the local mode: ${err?.message ?? String(error)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
