/** The text `npm start` prints once the local mode runs. */
import { relative } from 'node:path';
import { LOCAL_FAULTS, type FaultSpec } from './faults';
import type { LocalRuntime } from './runtime';

/** What runs where, and commands to paste: one per line, each a whole command. */
export function banner(runtime: LocalRuntime, faults: readonly FaultSpec[], dataDir: string | undefined): string {
  const target = dataDir && dataDir !== '.local' ? ` --data-dir ${dataDir}` : '';
  const cli = (command: string) => `  npx amani-webhooks ${command}${target}`;
  const stateDir = relative(process.cwd(), runtime.eventsFile).replace(/events\.jsonl$/, '') || '.';
  const signature = runtime.authMode === 'signature';
  return [
    '',
    'amani-webhooks local mode is running',
    `  receiver   POST ${runtime.receiverUrl}   (API Gateway stand-in -> the receiver Lambda handler)`,
    `  Amani      ${runtime.amaniBaseUrl}   (simulated management API; webhook registered, ${runtime.authMode} mode)`,
    `  AWS        ${runtime.awsEndpoint}   (local Secrets Manager, EventBridge + archive, SQS; state in ${stateDir})`,
    ...(runtime.dynamodbEndpoint
      ? [`  DynamoDB   ${runtime.dynamodbEndpoint}   (dynalite: the delivery ledger, ${runtime.ledgerTableName})`]
      : []),
    `  events     ${relative(process.cwd(), runtime.eventsFile)}`,
    ...faults.map((f) => `  fault      ${f.fault}${f.seconds ? ` for ${f.seconds} s` : ' until stopped'}: ${LOCAL_FAULTS[f.fault]}`),
    '',
    signature
      ? 'Send a signed sample delivery (in another terminal):'
      : `Send a sample delivery (in another terminal; token mode: the token itself travels in ${runtime.tokenHeader}, nothing covers the body):`,
    cli('send profile_status_change'),
    '',
    'Then try, one at a time:',
    ...(signature ? [cli('send document_upload --tamper')] : []),
    cli('rotate --force'),
    cli('send profile_update --previous-token'),
    cli('status'),
    ...(runtime.ledgerTableName
      ? [cli('send profile_status_change --repeat 2'), cli('deliveries'), cli('replay --from 1h --to now --dry-run')]
      : []),
    ...(faults.some((f) => f.fault === 'bus-down') ? [cli('redrive')] : []),
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
}
