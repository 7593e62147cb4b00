// Cold-start probe, run as a fresh `node` process by bench/cold-start.ts: imports a Lambda entry
// module (a bundle, or TypeScript sources under `--import tsx`) and serves one request with it,
// as the Lambda runtime does on a cold start. Prints one line of timings, in milliseconds since
// the process started (performance.timeOrigin), then exits at once (Lambda would freeze here).
//
// Usage: node [--import tsx] bench/cold-start-child.mjs <entry module | -> <event JSON file>
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const started = performance.now();
const [entry, eventFile] = process.argv.slice(2);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const deadline = Date.now() + 30_000;
const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench',
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench'}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
  awsRequestId: '00000000-0000-4000-8000-000000000000',
  logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench',
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

let outcome = 'no-handler';
const beforeImport = performance.now();
const module = entry === '-' ? undefined : await import(pathToFileURL(entry).href);
const imported = performance.now();
if (module) {
  try {
    const answer = await module.handler(event, context);
    outcome = answer && typeof answer === 'object' ? String(answer.statusCode ?? answer.outcome ?? 'ok') : 'ok';
  } catch (error) {
    outcome = `error: ${error?.name}: ${error?.message}`;
  }
}
const served = performance.now();
// CommonJS files loaded from node_modules by now (what an external SDK costs in file loads).
const nodeModulesFiles = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('node_modules')).length;
process.stdout.write(
  `\n@@cold-start ${JSON.stringify({ boot: started, import: imported - beforeImport, firstRequest: served - imported, total: served, outcome, nodeModulesFiles })}\n`,
);
process.exit(0);
