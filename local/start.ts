/**
 * `npm start`: runs the whole product on this machine (see local-stack.ts) and prints each
 * event as it lands on the local bus. Ctrl-C stops everything.
 */
import { parseArgs } from 'node:util';
import type { BusEvent } from './aws-emulator';
import { tolerateClosedOutput } from './closed-output';
import { StackNotFoundError } from './deployed-stack';
import { LOCAL_FAULTS, parseFaultSpec, type FaultSpec } from './faults';
import { startDeployedStackEndpoint, startLocalStack } from './local-stack';
import { banner } from './banner';
import { StateFolderBusyError } from './state-lock';
import { describeFailure } from './describe-failure';

const HELP = `Usage: npm start -- [options]

Runs the receiver behind a local API Gateway stand-in, the rotator, an Amani simulator and
local stand-ins for Secrets Manager, EventBridge, SQS and DynamoDB (state in .local/). No AWS account needed.

Options:
  --port <n>           receiver endpoint port (default 3000; 0 = any free port)
  --amani-port <n>     Amani simulator port (default 3100)
  --aws-port <n>       local AWS stand-in port (default 4566)
  --dynamodb-port <n>  local DynamoDB (dynalite) port (default 4567)
  --auth-mode <mode>   signature (default) or token
  --grace <minutes>    previous token grace after a rotation (default 60; decimals allowed, 0.1 = 6 s)
  --data-dir <dir>     where local state lives (default .local)
  --fresh              start from empty state
  --verbose            also print the receiver's and rotator's JSON logs and the Amani requests
  --fault <name>[:<s>] simulate an outage, for <s> seconds or until stopped (repeatable):
${Object.entries(LOCAL_FAULTS)
  .map(([name, what]) => `                         ${name.padEnd(14)} ${what}`)
  .join('\n')}
  -h, --help           this text

  --stage <stage>      instead of the stand-ins, use the real AWS services of the deployed stack
                       AmaniWebhooks-<stage> (its token secret, bus and fallback queue, found via
                       its outputs) through the default AWS credential chain; no simulator
  --region <region>    that stack's region (default: from the environment/profile)

The CLI works against either: npx amani-webhooks --help
`;

/** `npm start`'s options; throws on an unknown or malformed one. */
function parseStartArgs() {
  return parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      'amani-port': { type: 'string', default: '3100' },
      'aws-port': { type: 'string', default: '4566' },
      'dynamodb-port': { type: 'string', default: '4567' },
      'auth-mode': { type: 'string', default: 'signature' },
      grace: { type: 'string', default: '60' },
      'data-dir': { type: 'string', default: '.local' },
      fresh: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      fault: { type: 'string', multiple: true, default: [] },
      stage: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  }).values;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseStartArgs>;
  try {
    args = parseStartArgs();
  } catch (error) {
    process.stderr.write(
      `npm start: ${(error as Error).message.replace(/\. To specify .*/s, '')}\nRun \`npm start -- --help\` for usage.\n`,
    );
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const ports = {
    receiver: port(args.port, '--port'),
    amani: port(args['amani-port'], '--amani-port'),
    aws: port(args['aws-port'], '--aws-port'),
    dynamodb: port(args['dynamodb-port'], '--dynamodb-port'),
  };
  const grace = Number(args.grace);
  if (args['auth-mode'] !== 'signature' && args['auth-mode'] !== 'token')
    throw new UsageError("--auth-mode must be 'signature' or 'token'");
  if (!Number.isFinite(grace) || grace < 0) throw new UsageError('--grace must be a number of minutes (0 or more)');
  const faults: FaultSpec[] = [];
  for (const text of args.fault ?? []) {
    try {
      faults.push(parseFaultSpec(text));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (args.stage && faults.length > 0)
    throw new UsageError('--fault simulates outages of the local stand-ins; with --stage the services are real');

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
    dynamodbPort: ports.dynamodb,
    authMode: args['auth-mode'],
    previousTokenGraceMinutes: grace,
    onEvent: printEvent,
    faults,
    onFaultCleared: (fault) =>
      process.stdout.write(
        `  fault  ${fault} cleared${fault === 'bus-down' ? ': npx amani-webhooks redrive moves the parked deliveries onto the bus' : ''}\n`,
      ),
    ...(args.verbose ? { onAmaniRequest: (line: string) => process.stdout.write(`  amani  ${line}\n`) } : {}),
  });
  process.stdout.write(banner(stack.runtime, faults, args['data-dir']));
  await stopSignal();
  process.stdout.write('\nstopping...\n');
  await stack.close();
  return 0;
}

/** Resolves on the first SIGINT or SIGTERM (npm forwards both to this process). */
function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

async function runOnDeployedStack(stage: string, region: string | undefined, port: number, dataDir: string | undefined): Promise<number> {
  const endpoint = await startDeployedStackEndpoint({
    stage,
    receiverPort: port,
    ...(region ? { region } : {}),
    ...(dataDir ? { dataDir } : {}),
  });
  const { runtime } = endpoint;
  process.stdout.write(
    [
      '',
      `amani-webhooks local endpoint on the deployed stack ${runtime.stack?.name} (${runtime.region})`,
      `  receiver   POST ${runtime.receiverUrl}   (the receiver code, on this machine)`,
      `  AWS        real: token secret, bus ${runtime.eventBusName}, fallback queue (default credential chain)`,
      `  Amani      ${runtime.amaniBaseUrl} (real)`,
      '',
      "Send a delivery signed with the stack's current token (read from Amani with the stack's credentials):",
      '  npx amani-webhooks send profile_status_change',
      'Events land on the real bus; the CLI rotates through the deployed rotator. Ctrl-C stops.',
      '',
    ].join('\n'),
  );
  await stopSignal();
  await endpoint.close();
  return 0;
}

function printEvent(event: BusEvent): void {
  const detail = event.detail as { metadata?: Record<string, unknown> };
  const meta = detail.metadata ?? {};
  process.stdout.write(
    `  event  ${event.time}  ${event.source} / ${event['detail-type']}  deliveryId=${String(meta.deliveryId ?? '?').slice(0, 16)}  ` +
      `auth=${String(meta.authMode)}${meta.signatureForm ? `/${String(meta.signatureForm)}` : ''} token=${String(meta.tokenGeneration)}` +
      `${meta.dedup ? ` dedup=${String(meta.dedup)}` : ''}${event['replay-name'] ? `  replay=${event['replay-name']}` : ''}\n`,
  );
}

class UsageError extends Error {}

function port(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number (0-65535)`);
  return n;
}

tolerateClosedOutput();
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const err = error as NodeJS.ErrnoException & { port?: number };
    if (err instanceof UsageError) process.stderr.write(`npm start: ${err.message}\nRun \`npm start -- --help\` for usage.\n`);
    else if (err instanceof StackNotFoundError || err instanceof StateFolderBusyError) process.stderr.write(`${err.message}\n`);
    else if (err?.code === 'EADDRINUSE') {
      process.stderr.write(
        `Port ${err.port ?? ''} is already in use. Stop what uses it, or pick another with --port/--amani-port/--aws-port/--dynamodb-port (0 = any free port).\n`,
      );
    } else {
      const failure = describeFailure(error);
      process.stderr.write(`Could not start the local mode: ${failure.message}\n${failure.hint ? `${failure.hint}\n` : ''}`);
    }
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
