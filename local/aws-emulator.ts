/**
 * A small AWS stand-in on 127.0.0.1 that speaks the AWS JSON protocol for exactly the
 * operations this product uses, so the product's real SDK v3 clients reach it through
 * `AWS_ENDPOINT_URL` and nothing in the product knows it is not AWS:
 *
 * - Secrets Manager: GetSecretValue, PutSecretValue (versions, AWSCURRENT/AWSPREVIOUS,
 *   ClientRequestToken idempotency), CreateSecret
 * - EventBridge: PutEvents (per-entry results; the events are kept, and appended to a JSONL file);
 *   archives of a bus (created with `createArchive`: every event of the bus whose source matches,
 *   replays excluded), StartReplay and DescribeReplay (the window's archived events are put back
 *   on the bus, oldest first, each with a `replay-name`; STARTING -> RUNNING -> COMPLETED, with
 *   `EventLastReplayedTime` moving as it goes; no rules exist here, so `FilterArns` is refused)
 * - SQS: SendMessage, ReceiveMessage, DeleteMessage, DeleteMessageBatch, GetQueueAttributes,
 *   ChangeMessageVisibility (visibility timeouts, so a redrive that crashes loses nothing)
 * - SSM Parameter Store: PutParameter (`Overwrite: false` is create-if-absent), GetParameter,
 *   DeleteParameter, GetParametersByPath (one level, pages of at most 10)
 * - Lambda: Invoke (REST, `RequestResponse` and `Event`) of functions registered in process
 *   with `registerFunction`; a thrown error answers like Lambda (`X-Amz-Function-Error`)
 * - EventBridge rules with SQS targets, and the SQS queue administration they need
 *   (aws-emulator-rules.ts)
 *
 * It backs `npm start` (state in files under `.local/`) and the reliability tests (in memory),
 * with fault injection per operation: throttling, 500s, slow answers, connection resets,
 * answers lost after the call took effect, partial PutEvents failures, access denied. A fault
 * can be scheduled for a number of calls after some clean ones (`skip`); a call hook sees every
 * call (operation, sequence number, input) and may pick its fault (crash points, load), and a
 * call observer is told how each call ended (answered, refused, dropped, or done without the
 * answer reaching the caller). A caller that vanishes mid-request is ignored.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { listen, readBody, ScheduledFaults, type FaultSchedule } from './loopback-server';
import { eventRules, type EventRules } from './aws-emulator-rules';

/** A request's JSON body: each operation reads the fields its AWS API defines. */
// biome-ignore lint/suspicious/noExplicitAny: AWS JSON protocol inputs are untyped until an operation reads them
type AwsJson = Record<string, any>;

export type { FaultSchedule };

export const EMULATOR_ACCOUNT = '000000000000';
export const EMULATOR_REGION = 'eu-west-1';

export type Operation =
  | 'GetSecretValue'
  | 'PutSecretValue'
  | 'CreateSecret'
  | 'PutEvents'
  | 'StartReplay'
  | 'DescribeReplay'
  | 'SendMessage'
  | 'ReceiveMessage'
  | 'DeleteMessage'
  | 'DeleteMessageBatch'
  | 'GetQueueAttributes'
  | 'ChangeMessageVisibility'
  | 'PutParameter'
  | 'GetParameter'
  | 'DeleteParameter'
  | 'GetParametersByPath'
  | 'Invoke'
  | 'PutRule'
  | 'PutTargets'
  | 'RemoveTargets'
  | 'DeleteRule'
  | 'ListRules'
  | 'CreateQueue'
  | 'GetQueueUrl'
  | 'SetQueueAttributes'
  | 'DeleteQueue';

export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error' }
  | { readonly kind: 'access-denied' }
  /** Answer normally, but only after `ms` (past a client timeout, the client gives up first). */
  | { readonly kind: 'slow'; readonly ms: number }
  /** Close the connection without answering (nothing was done). */
  | { readonly kind: 'reset' }
  /** Do the operation, then close the connection without answering: it took effect, the caller cannot know. */
  | { readonly kind: 'lost-answer' }
  /** PutEvents only: every entry fails with this per-entry error code. */
  | { readonly kind: 'partial'; readonly errorCode?: string };

export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
  readonly 'event-bus-name': string;
  /** Set on an event put back on the bus by a replay: the replay's name. */
  readonly 'replay-name'?: string;
}

/** An archive of a bus: which events it keeps. */
export interface EmulatedArchive {
  readonly name: string;
  readonly busName: string;
  /** Events of this source only (the stack's archive pattern). */
  readonly source: string;
}

export interface QueueMessage {
  readonly MessageId: string;
  readonly Body: string;
  readonly MessageAttributes?: Record<string, { DataType: string; StringValue?: string }>;
  readonly sentAt: number;
  invisibleUntil: number;
  receiptHandle?: string;
  receiveCount: number;
}

interface SecretVersion {
  readonly VersionId: string;
  readonly SecretString: string;
  stages: string[];
  readonly createdAt: number;
}

interface StoredParameter {
  readonly Value: string;
  readonly Type: string;
  readonly Version: number;
  readonly LastModifiedDate: number;
}

/** An in-process Lambda function: the payload as parsed JSON in, its result (JSON-serialisable) out. */
export type EmulatedFunction = (payload: unknown) => Promise<unknown>;

/** What the call hook sees of each call. `input` is the parsed request, undefined when it is not JSON. */
export interface EmulatorCall {
  readonly operation: string;
  /** 1, 2, ... over all operations. */
  readonly sequence: number;
  readonly input: AwsJson | undefined;
}

export type CallHook = (call: EmulatorCall) => Fault | undefined;

/**
 * How a call ended: `answered` (the operation's answer was written), `refused` (an error answer,
 * nothing done), `dropped` (connection closed, nothing done), `answer-lost` (done, but the
 * connection was closed without the answer: injected, or the caller had already given up).
 */
export type CallOutcome = 'answered' | 'refused' | 'dropped' | 'answer-lost';
export type CallObserver = (call: EmulatorCall, outcome: CallOutcome) => void;

export interface AwsEmulatorOptions {
  readonly port?: number;
  /** When set, secrets, events and queues live in files there (and survive restarts). */
  readonly dataDir?: string;
  /** Called for every event accepted by PutEvents or put back by a replay (the local mode prints them). */
  readonly onEvent?: (event: BusEvent) => void;
  /** Milliseconds between two replayed events, so that DescribeReplay can watch a replay run (default 25). */
  readonly replayIntervalMs?: number;
}

export interface AwsEmulator {
  readonly endpoint: string;
  queueUrl(name: string): string;
  createQueue(name: string): string;
  putSecret(name: string, secretString: string): void;
  secretString(name: string): string | undefined;
  /** The value of an SSM parameter, if it exists. */
  parameter(name: string): string | undefined;
  putParameter(name: string, value: string): void;
  /** Makes `Invoke` of `name` (or an ARN ending in `:function:<name>`) call `handler`. */
  registerFunction(name: string, handler: EmulatedFunction): void;
  /** An archive of `busName` keeping the events of `source`; returns its ARN. */
  createArchive(archive: EmulatedArchive): string;
  /** The bus's ARN (a replay's destination). */
  busArn(busName: string): string;
  events(): readonly BusEvent[];
  queueMessages(name: string): readonly QueueMessage[];
  /** Every call of `operation` gets `fault` (by default from now on; see `FaultSchedule`). */
  injectFault(operation: Operation, fault: Fault, schedule?: FaultSchedule): void;
  clearFaults(): void;
  /** Consulted for every call before the injected faults; the fault it returns (if any) replaces them for that call. */
  setCallHook(hook: CallHook | undefined): void;
  /** Told how every call ended (after the call hook and the faults). */
  setCallObserver(observer: CallObserver | undefined): void;
  /** Calls received per operation (including failed ones). */
  readonly calls: Record<string, number>;
  /** EventBridge rules and their SQS targets (aws-emulator-rules.ts). */
  readonly rules: Pick<EventRules, 'rules' | 'failedInvocations'>;
  close(): Promise<void>;
}

class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly queryCode?: string,
  ) {
    super(message);
  }
}

const SERVICE_TARGETS: Record<string, 'secretsmanager' | 'events' | 'sqs' | 'ssm'> = {
  secretsmanager: 'secretsmanager',
  AWSEvents: 'events',
  AmazonSQS: 'sqs',
  AmazonSSM: 'ssm',
};

/** Lambda's REST route for Invoke; every other Lambda operation is not emulated. */
const LAMBDA_INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** What a handler answers when the response is not the JSON protocol's (Lambda Invoke). */
class RawAnswer {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

/**
 * Starts the emulator: state (from files when `dataDir` is set), the operations of each
 * service over it, and the server that runs each call through `serve`.
 */
export async function startAwsEmulator(options: AwsEmulatorOptions = {}): Promise<AwsEmulator> {
  const state = new EmulatorState(options.dataDir ? persistence(options.dataDir) : undefined);
  const rules = eventRules({
    account: EMULATOR_ACCOUNT,
    region: EMULATOR_REGION,
    queues: state.queues,
    saveQueues: () => state.saveQueues(),
    queueUrl: (name) => state.queueUrl(name),
    enqueue: (name, body) => {
      state.queues.get(name)?.push({ MessageId: randomUUID(), Body: body, sentAt: Date.now(), invisibleUntil: 0, receiveCount: 0 });
      state.saveQueues();
    },
    error: (status, type, message, queryCode) => new AwsError(status, type, message, queryCode),
  });
  // Every event that lands on the bus (put or replayed) reaches the rules and the observer.
  const onBusEvent = (event: BusEvent): void => {
    rules.route(event);
    options.onEvent?.(event);
  };
  const operations: Operations = {
    ...secretsManagerOperations(state),
    ...eventBridgeOperations(state, onBusEvent),
    ...replayOperations(state, onBusEvent, options.replayIntervalMs ?? 25),
    ...sqsOperations(state),
    ...ssmOperations(state),
    ...lambdaOperations(state),
    ...rules.operations,
  };
  const calls = new CallLog();
  const server = createServer((request, response) => void serve(request, response, operations, calls));
  // Keep-alive sockets from SDK clients must not hold close() hostage.
  server.keepAliveTimeout = 1000;
  const { port } = await listen(server, options.port ?? 0, '127.0.0.1');
  state.endpoint = `http://127.0.0.1:${port}`;
  return controls(state, calls, server, rules);
}

/** What tests and the local mode see of a running emulator. */
function controls(state: EmulatorState, calls: CallLog, server: Server, rules: EventRules): AwsEmulator {
  return {
    rules,
    endpoint: state.endpoint,
    queueUrl: (name) => state.queueUrl(name),
    createQueue: (name) => {
      if (!state.queues.has(name)) state.queues.set(name, []);
      state.saveQueues();
      return state.queueUrl(name);
    },
    putSecret: (name, secretString) => {
      if (!state.secrets.has(name)) state.secrets.set(name, []);
      state.putSecretVersion(name, secretString);
    },
    secretString: (name) => state.secrets.get(name)?.find((v) => v.stages.includes('AWSCURRENT'))?.SecretString,
    parameter: (name) => state.parameters.get(name)?.Value,
    putParameter: (name, value) => {
      state.parameters.set(name, {
        Value: value,
        Type: 'String',
        Version: (state.parameters.get(name)?.Version ?? 0) + 1,
        LastModifiedDate: Date.now(),
      });
      state.saveParameters();
    },
    registerFunction: (name, handler) => {
      state.functions.set(name, handler);
    },
    createArchive: (archive) => {
      state.archives.set(archive.name, archive);
      return archiveArn(archive.name);
    },
    busArn,
    events: () => state.events,
    queueMessages: (name) => state.queues.get(name) ?? [],
    injectFault: (operation, fault, schedule) => calls.faults.add(operation, fault, schedule),
    clearFaults: () => calls.faults.clear(),
    setCallHook: (hook) => {
      calls.hook = hook;
    },
    setCallObserver: (observer) => {
      calls.observer = observer;
    },
    calls: calls.perOperation,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// One call: serve = readCall -> count -> begin (its fault) -> perform -> deliver -> observe

type OperationHandler = (input: AwsJson, fault: Fault | undefined) => unknown | Promise<unknown>;
type Operations = Record<string, OperationHandler>;

/** What the server knows of the calls: counts, the call hook, the scheduled faults, the observer. */
class CallLog {
  readonly perOperation: Record<string, number> = {};
  readonly faults = new ScheduledFaults<string, Fault>(Number.POSITIVE_INFINITY);
  hook: CallHook | undefined;
  observer: CallObserver | undefined;
  private sequence = 0;

  count(operation: string): void {
    this.perOperation[operation] = (this.perOperation[operation] ?? 0) + 1;
  }

  /** Numbers the call; the hook's fault, else the next scheduled one, applies to it. */
  begin(operation: string, input: AwsJson | undefined): { call: EmulatorCall; fault: Fault | undefined } {
    const call = { operation, sequence: ++this.sequence, input };
    return { call, fault: this.hook?.(call) ?? this.faults.take(operation) };
  }
}

/** A request as the AWS protocols name it. */
interface IncomingCall {
  readonly target: string;
  readonly operation: string;
  /** Undefined when no emulated service is addressed. */
  readonly service: 'secretsmanager' | 'events' | 'sqs' | 'ssm' | 'lambda' | undefined;
  /** The parsed request; undefined when the body is not JSON. */
  readonly input: AwsJson | undefined;
  readonly jsonVersion: '1.0' | '1.1';
}

/** How `perform` ended, named as the observer is told. */
type Performed =
  | { readonly outcome: 'answered'; readonly output: unknown }
  | { readonly outcome: 'refused'; readonly error: unknown }
  | { readonly outcome: 'dropped' | 'answer-lost' };

async function serve(request: IncomingMessage, response: ServerResponse, operations: Operations, calls: CallLog): Promise<void> {
  const incoming = await readCall(request);
  // The caller went away mid-request: there is nobody to answer.
  if (!incoming) return void request.socket.destroy();
  calls.count(incoming.operation);
  if (!incoming.service || !Object.hasOwn(operations, incoming.operation)) {
    if (!response.destroyed)
      answerError(
        response,
        new AwsError(400, 'UnknownOperationException', `Operation ${incoming.target || '(none)'} is not emulated.`),
        incoming,
      );
    return;
  }
  const { call, fault } = calls.begin(incoming.operation, incoming.input);
  const performed = await perform(operations[incoming.operation] as OperationHandler, incoming, fault, request, response);
  deliver(performed, incoming, request, response);
  calls.observer?.(call, performed.outcome);
}

/** Reads the body and names the operation: `X-Amz-Target` for the JSON protocols, the REST path for Lambda Invoke. */
async function readCall(request: IncomingMessage): Promise<IncomingCall | undefined> {
  let body: string;
  try {
    body = await readBody(request);
  } catch {
    return undefined;
  }
  const target = String(request.headers['x-amz-target'] ?? '');
  const invoke = request.method === 'POST' ? LAMBDA_INVOKE_PATH.exec((request.url ?? '').split('?')[0] ?? '') : null;
  if (invoke) {
    const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    return {
      target,
      operation: 'Invoke',
      service: 'lambda',
      input: { FunctionName: decodeURIComponent(invoke[1] as string), InvocationType: invocationType, Payload: body },
      jsonVersion: '1.1',
    };
  }
  const [prefix = '', operation = ''] = target.split('.');
  const service = Object.hasOwn(SERVICE_TARGETS, prefix) ? SERVICE_TARGETS[prefix] : undefined;
  let input: AwsJson | undefined;
  try {
    input = body.length ? (JSON.parse(body) as AwsJson) : {};
  } catch {
    input = undefined;
  }
  return { target, operation, service, input, jsonVersion: service === 'sqs' ? '1.0' : '1.1' };
}

/** Applies the fault that acts before the operation, runs the operation, then the one that acts after. */
async function perform(
  operation: OperationHandler,
  incoming: IncomingCall,
  fault: Fault | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<Performed> {
  if (fault?.kind === 'reset') return { outcome: 'dropped' };
  let output: unknown;
  try {
    const refusal = refusalOf(fault, incoming.service === 'sqs');
    if (refusal) throw refusal;
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (incoming.input === undefined) throw new AwsError(400, 'SerializationException', 'The request body is not JSON.');
    output = await operation(incoming.input, fault);
  } catch (error) {
    return { outcome: 'refused', error };
  }
  if (fault?.kind === 'lost-answer' || response.destroyed || request.socket.destroyed) return { outcome: 'answer-lost' };
  return { outcome: 'answered', output };
}

/** The error answer an injected fault stands for, as the service would word it. */
function refusalOf(fault: Fault | undefined, queryCompatible: boolean): AwsError | undefined {
  switch (fault?.kind) {
    case 'throttle':
      return queryCompatible
        ? new AwsError(400, 'RequestThrottled', 'Rate exceeded', 'RequestThrottled;Sender')
        : new AwsError(400, 'ThrottlingException', 'Rate exceeded');
    case 'server-error':
      return new AwsError(500, queryCompatible ? 'InternalError' : 'InternalFailure', 'Injected server error');
    case 'access-denied':
      return new AwsError(400, 'AccessDeniedException', 'Injected access denied');
    default:
      return undefined;
  }
}

function deliver(performed: Performed, incoming: IncomingCall, request: IncomingMessage, response: ServerResponse): void {
  switch (performed.outcome) {
    case 'dropped':
    case 'answer-lost':
      request.socket.destroy();
      return;
    case 'answered':
      if (performed.output instanceof RawAnswer) respondRaw(response, performed.output);
      else respond(response, 200, performed.output, incoming.jsonVersion);
      return;
    case 'refused':
      if (!response.destroyed) answerError(response, performed.error, incoming);
  }
}

function answerError(response: ServerResponse, error: unknown, incoming: Pick<IncomingCall, 'jsonVersion'>): void {
  const awsError = error instanceof AwsError ? error : new AwsError(500, 'InternalFailure', 'Emulator error');
  response.setHeader('x-amzn-errortype', awsError.type);
  if (awsError.queryCode) response.setHeader('x-amzn-query-error', awsError.queryCode);
  respond(response, awsError.status, { __type: awsError.type, message: awsError.message }, incoming.jsonVersion);
}

// ---------------------------------------------------------------------------------------------
// State and the operations of each service

/** Everything the emulator holds, saved to files after each change when persisted. */
class EmulatorState {
  readonly secrets: Map<string, SecretVersion[]>;
  readonly events: BusEvent[];
  readonly queues: Map<string, QueueMessage[]>;
  readonly parameters: Map<string, StoredParameter>;
  readonly functions = new Map<string, EmulatedFunction>();
  readonly archives = new Map<string, EmulatedArchive>();
  readonly replays = new Map<string, Replay>();
  endpoint = '';

  constructor(readonly files: Persistence | undefined) {
    this.secrets = new Map(files?.loadSecrets() ?? []);
    this.events = files?.loadEvents() ?? [];
    this.queues = new Map(files?.loadQueues() ?? []);
    this.parameters = new Map(files?.loadParameters() ?? []);
  }

  saveSecrets = () => this.files?.saveSecrets(this.secrets);
  saveQueues = () => this.files?.saveQueues(this.queues);
  saveParameters = () => this.files?.saveParameters(this.parameters);

  queueUrl(name: string): string {
    return `${this.endpoint}/${EMULATOR_ACCOUNT}/${name}`;
  }

  /** The queue a QueueUrl names; refused like SQS when it does not exist. */
  queueNamed(url: string): QueueMessage[] {
    const messages = this.queues.get(url.split('/').pop() ?? '');
    if (!messages)
      throw new AwsError(400, 'QueueDoesNotExist', 'The specified queue does not exist.', 'AWS.SimpleQueueService.NonExistentQueue;Sender');
    return messages;
  }

  /** A new AWSCURRENT version; the same ClientRequestToken with the same content is a no-op, with other content refused. */
  putSecretVersion(name: string, secretString: string, token: string = randomUUID()): SecretVersion {
    const versions = this.secrets.get(name) ?? [];
    const existing = versions.find((v) => v.VersionId === token);
    if (existing) {
      if (existing.SecretString !== secretString) {
        throw new AwsError(400, 'ResourceExistsException', 'A version with this ClientRequestToken already exists with different content.');
      }
      return existing;
    }
    for (const version of versions) {
      version.stages = version.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : version.stages.filter((s) => s !== 'AWSPREVIOUS');
    }
    const version: SecretVersion = { VersionId: token, SecretString: secretString, stages: ['AWSCURRENT'], createdAt: Date.now() };
    // Keep a short history: enough for AWSPREVIOUS and idempotent retries.
    this.secrets.set(name, [...versions.filter((v) => v.stages.length > 0).slice(-4), version]);
    this.saveSecrets();
    return version;
  }

  deleteByReceipt(messages: QueueMessage[], receiptHandle: string): boolean {
    const index = messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (index < 0) return false;
    messages.splice(index, 1);
    this.saveQueues();
    return true;
  }
}

const secretArn = (name: string) => `arn:aws:secretsmanager:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:secret:${name}`;
const secretName = (id: string) => (id.startsWith('arn:') ? (id.split(':secret:')[1] ?? id) : id);

function secretsManagerOperations(state: EmulatorState): Operations {
  return {
    CreateSecret: (input) => {
      const name = String(input.Name);
      if (state.secrets.has(name)) throw new AwsError(400, 'ResourceExistsException', 'The secret already exists.');
      state.secrets.set(name, []);
      if (typeof input.SecretString === 'string') state.putSecretVersion(name, input.SecretString, input.ClientRequestToken);
      state.saveSecrets();
      return { ARN: secretArn(name), Name: name };
    },
    GetSecretValue: (input) => {
      const name = secretName(String(input.SecretId));
      const versions = state.secrets.get(name);
      if (!versions) throw new AwsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      const current = versions.find((v) => v.stages.includes(input.VersionStage ?? 'AWSCURRENT'));
      if (!current)
        throw new AwsError(
          400,
          'ResourceNotFoundException',
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        );
      return {
        ARN: secretArn(name),
        Name: name,
        VersionId: current.VersionId,
        SecretString: current.SecretString,
        VersionStages: current.stages,
        CreatedDate: current.createdAt / 1000,
      };
    },
    PutSecretValue: (input) => {
      const name = secretName(String(input.SecretId));
      if (!state.secrets.has(name))
        throw new AwsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      const version = state.putSecretVersion(name, String(input.SecretString), input.ClientRequestToken);
      return { ARN: secretArn(name), Name: name, VersionId: version.VersionId, VersionStages: version.stages };
    },
  };
}

function eventBridgeOperations(state: EmulatorState, onEvent: ((event: BusEvent) => void) | undefined): Operations {
  return {
    PutEvents: (input, fault) => {
      const entries: AwsJson[] = input.Entries ?? [];
      if (entries.length < 1 || entries.length > 10) throw new AwsError(400, 'ValidationException', 'Entries must hold 1 to 10 entries.');
      const partial = fault?.kind === 'partial' ? fault : undefined;
      const results = entries.map((entry) => {
        if (partial) return { ErrorCode: partial.errorCode ?? 'InternalFailure', ErrorMessage: 'Injected partial failure' };
        const event = busEventOf(entry);
        if ('ErrorCode' in event) return event;
        // Persist first: a failure must not leave an event in memory that the file lacks.
        state.files?.appendEvent(event, String(entry.Detail));
        state.events.push(event);
        onEvent?.(event);
        return { EventId: event.id };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
  };
}

const busArn = (name: string) => `arn:aws:events:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:event-bus/${name}`;
const archiveArn = (name: string) => `arn:aws:events:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:archive/${name}`;
const replayArn = (name: string) => `arn:aws:events:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:replay/${name}`;

interface Replay {
  readonly name: string;
  readonly archive: EmulatedArchive;
  readonly destination: { readonly Arn: string };
  /** Epoch seconds, as the API carries them. */
  readonly startTime: number;
  readonly endTime: number;
  readonly startedAt: number;
  state: 'STARTING' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  lastReplayed?: number;
  endedAt?: number;
  stateReason?: string;
}

/**
 * StartReplay and DescribeReplay over the archives: a replay puts each archived event of its
 * window ([start, end), by the event's time) back on its bus, oldest first, as a new event with
 * `replay-name`; one every `intervalMs`, so that its progress can be watched.
 */
function replayOperations(state: EmulatorState, onEvent: ((event: BusEvent) => void) | undefined, intervalMs: number): Operations {
  const describe = (replay: Replay) => ({
    ReplayName: replay.name,
    ReplayArn: replayArn(replay.name),
    State: replay.state,
    ...(replay.stateReason ? { StateReason: replay.stateReason } : {}),
    EventSourceArn: archiveArn(replay.archive.name),
    Destination: replay.destination,
    EventStartTime: replay.startTime,
    EventEndTime: replay.endTime,
    ReplayStartTime: replay.startedAt / 1000,
    ...(replay.lastReplayed !== undefined ? { EventLastReplayedTime: replay.lastReplayed } : {}),
    ...(replay.endedAt !== undefined ? { ReplayEndTime: replay.endedAt / 1000 } : {}),
  });
  const run = async (replay: Replay) => {
    const archived = state.events
      .filter((event) => {
        const at = Date.parse(event.time) / 1000;
        return (
          event['event-bus-name'] === replay.archive.busName &&
          event.source === replay.archive.source &&
          event['replay-name'] === undefined &&
          at >= replay.startTime &&
          at < replay.endTime
        );
      })
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    // STARTING is what StartReplay answers; RUNNING from the next moment on.
    await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
    replay.state = 'RUNNING';
    for (const original of archived) {
      await new Promise((resolve) => setTimeout(resolve, intervalMs).unref());
      const event: BusEvent = { ...original, id: randomUUID(), 'replay-name': replay.name };
      state.files?.appendEvent(event, JSON.stringify(original.detail));
      state.events.push(event);
      onEvent?.(event);
      replay.lastReplayed = Date.parse(original.time) / 1000;
    }
    replay.state = 'COMPLETED';
    replay.endedAt = Date.now();
  };
  return {
    StartReplay: (input) => {
      const name = String(input.ReplayName ?? '');
      if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
        throw new AwsError(400, 'ValidationException', 'ReplayName must be 1 to 64 of [.-_A-Za-z0-9].');
      if (state.replays.has(name)) throw new AwsError(400, 'ResourceAlreadyExistsException', `Replay ${name} already exists.`);
      const archiveName = String(input.EventSourceArn ?? '').split(':archive/')[1] ?? '';
      const archive = state.archives.get(archiveName);
      if (!archive) throw new AwsError(400, 'ResourceNotFoundException', `Archive ${archiveName} does not exist.`);
      const start = Number(input.EventStartTime);
      const end = Number(input.EventEndTime);
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start)
        throw new AwsError(400, 'ValidationException', 'EventEndTime must be after EventStartTime.');
      if (end * 1000 > Date.now()) throw new AwsError(400, 'ValidationException', 'EventEndTime must not be in the future.');
      const destination = input.Destination ?? {};
      if (destination.Arn !== busArn(archive.busName))
        throw new AwsError(400, 'ValidationException', 'The destination must be the event bus the archive was created on.');
      const rules: unknown[] = destination.FilterArns ?? [];
      if (rules.length > 0)
        throw new AwsError(400, 'ResourceNotFoundException', `Rule ${String(rules[0]).split('/').pop()} does not exist on this bus.`);
      const replay: Replay = {
        name,
        archive,
        destination: { Arn: String(destination.Arn) },
        startTime: start,
        endTime: end,
        startedAt: Date.now(),
        state: 'STARTING',
      };
      state.replays.set(name, replay);
      void run(replay).catch((error: unknown) => {
        replay.state = 'FAILED';
        replay.stateReason = (error as Error).message;
      });
      return { ReplayArn: replayArn(name), State: replay.state, ReplayStartTime: replay.startedAt / 1000 };
    },
    DescribeReplay: (input) => {
      const replay = state.replays.get(String(input.ReplayName ?? ''));
      if (!replay) throw new AwsError(400, 'ResourceNotFoundException', `Replay ${String(input.ReplayName)} does not exist.`);
      return describe(replay);
    },
  };
}

/** The event EventBridge makes of one entry, or the per-entry error it answers instead. */
function busEventOf(entry: AwsJson): BusEvent | { ErrorCode: string; ErrorMessage: string } {
  let detail: unknown;
  try {
    detail = JSON.parse(String(entry.Detail));
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (!detail || typeof detail !== 'object' || Array.isArray(detail))
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail must be a JSON object.' };
  if (!entry.Source || !entry.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source and DetailType are required.' };
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': String(entry.DetailType),
    source: String(entry.Source),
    account: EMULATOR_ACCOUNT,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: EMULATOR_REGION,
    resources: entry.Resources ?? [],
    detail,
    'event-bus-name': String(entry.EventBusName ?? 'default'),
  };
}

function sqsOperations(state: EmulatorState): Operations {
  return {
    SendMessage: (input) => {
      const messages = state.queueNamed(String(input.QueueUrl));
      const body = String(input.MessageBody ?? '');
      if (body.length === 0)
        throw new AwsError(400, 'MissingParameter', 'The request must contain the parameter MessageBody.', 'MissingParameter;Sender');
      // SQS's documented limits: 1 MiB per message (body and attributes), and a restricted character set.
      if (SQS_INVALID_CHARACTER.test(body)) {
        throw new AwsError(400, 'InvalidMessageContents', 'Invalid characters found.', 'InvalidMessageContents;Sender');
      }
      if (Buffer.byteLength(body) + attributesBytes(input.MessageAttributes) > SQS_MAX_MESSAGE_BYTES) {
        throw new AwsError(
          400,
          'InvalidParameterValue',
          'One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.',
          'InvalidParameterValue;Sender',
        );
      }
      const message: QueueMessage = {
        MessageId: randomUUID(),
        Body: body,
        MessageAttributes: input.MessageAttributes,
        sentAt: Date.now(),
        invisibleUntil: 0,
        receiveCount: 0,
      };
      messages.push(message);
      state.saveQueues();
      return { MessageId: message.MessageId, MD5OfMessageBody: md5(body) };
    },
    ReceiveMessage: (input) => {
      const messages = state.queueNamed(String(input.QueueUrl));
      const max = Math.min(10, Number(input.MaxNumberOfMessages ?? 1));
      const visibility = Number(input.VisibilityTimeout ?? 30) * 1000;
      const now = Date.now();
      const picked = messages.filter((m) => m.invisibleUntil <= now).slice(0, max);
      for (const message of picked) {
        message.invisibleUntil = now + visibility;
        message.receiptHandle = `${message.MessageId}:${randomUUID()}`;
        message.receiveCount++;
      }
      state.saveQueues();
      return {
        Messages: picked.map((m) => ({
          MessageId: m.MessageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: md5(m.Body),
          Body: m.Body,
          ...(m.MessageAttributes ? { MessageAttributes: m.MessageAttributes } : {}),
          Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
        })),
      };
    },
    DeleteMessage: (input) => {
      state.deleteByReceipt(state.queueNamed(String(input.QueueUrl)), String(input.ReceiptHandle));
      return {};
    },
    DeleteMessageBatch: (input) => {
      const messages = state.queueNamed(String(input.QueueUrl));
      const entries: Array<{ Id: string; ReceiptHandle: string }> = input.Entries ?? [];
      const successful: Array<{ Id: string }> = [];
      const failed: Array<{ Id: string; Code: string; SenderFault: boolean; Message: string }> = [];
      for (const entry of entries) {
        if (state.deleteByReceipt(messages, entry.ReceiptHandle)) successful.push({ Id: entry.Id });
        else failed.push({ Id: entry.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'The receipt handle is not valid.' });
      }
      return { Successful: successful, Failed: failed };
    },
    ChangeMessageVisibility: (input) => {
      const message = state.queueNamed(String(input.QueueUrl)).find((m) => m.receiptHandle === input.ReceiptHandle);
      if (!message) throw new AwsError(400, 'ReceiptHandleIsInvalid', 'The receipt handle is not valid.', 'ReceiptHandleIsInvalid;Sender');
      message.invisibleUntil = Date.now() + Number(input.VisibilityTimeout ?? 0) * 1000;
      state.saveQueues();
      return {};
    },
    GetQueueAttributes: (input) => {
      const messages = state.queueNamed(String(input.QueueUrl));
      const now = Date.now();
      return {
        Attributes: {
          QueueArn: `arn:aws:sqs:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:${String(input.QueueUrl).split('/').pop()}`,
          ApproximateNumberOfMessages: String(messages.filter((m) => m.invisibleUntil <= now).length),
          ApproximateNumberOfMessagesNotVisible: String(messages.filter((m) => m.invisibleUntil > now).length),
        },
      };
    },
  };
}

const parameterArn = (name: string) =>
  `arn:aws:ssm:${EMULATOR_REGION}:${EMULATOR_ACCOUNT}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
const parameterNotFound = () => new AwsError(400, 'ParameterNotFound', 'The parameter could not be found.');
const parameterView = (name: string, stored: StoredParameter) => ({
  Name: name,
  Type: stored.Type,
  Value: stored.Value,
  Version: stored.Version,
  LastModifiedDate: stored.LastModifiedDate / 1000,
  ARN: parameterArn(name),
  DataType: 'text',
});

function ssmOperations(state: EmulatorState): Operations {
  const { parameters } = state;
  return {
    PutParameter: (input) => {
      const name = String(input.Name ?? '');
      // SSM's naming rules, as far as a claim store needs them.
      if (!/^[A-Za-z0-9_.\-/]{1,1011}$/.test(name) || (name.includes('/') && !name.startsWith('/'))) {
        throw new AwsError(
          400,
          'ValidationException',
          'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a path, it must be fully qualified.',
        );
      }
      const value = String(input.Value ?? '');
      if (value.length === 0 || Buffer.byteLength(value) > 4096)
        throw new AwsError(400, 'ValidationException', 'Value must be 1 to 4096 bytes (standard tier).');
      const existing = parameters.get(name);
      if (existing && input.Overwrite !== true)
        throw new AwsError(
          400,
          'ParameterAlreadyExists',
          'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
        );
      const version = (existing?.Version ?? 0) + 1;
      parameters.set(name, {
        Value: value,
        Type: String(input.Type ?? existing?.Type ?? 'String'),
        Version: version,
        LastModifiedDate: Date.now(),
      });
      state.saveParameters();
      return { Version: version, Tier: 'Standard' };
    },
    GetParameter: (input) => {
      const name = String(input.Name ?? '');
      const stored = parameters.get(name);
      if (!stored) throw parameterNotFound();
      return { Parameter: parameterView(name, stored) };
    },
    DeleteParameter: (input) => {
      if (!parameters.delete(String(input.Name ?? ''))) throw parameterNotFound();
      state.saveParameters();
      return {};
    },
    GetParametersByPath: (input) => {
      const path = String(input.Path ?? '').replace(/\/+$/, '');
      if (!path.startsWith('/')) throw new AwsError(400, 'ValidationException', 'The path must start with a forward slash (/).');
      const max = Math.min(10, Number(input.MaxResults ?? 10));
      const names = [...parameters.keys()]
        .filter((name) => name.startsWith(`${path}/`) && (input.Recursive === true || !name.slice(path.length + 1).includes('/')))
        .sort();
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const page = names.slice(start, start + max);
      return {
        Parameters: page.map((name) => parameterView(name, parameters.get(name) as StoredParameter)),
        ...(start + max < names.length ? { NextToken: String(start + max) } : {}),
      };
    },
  };
}

function lambdaOperations(state: EmulatorState): Operations {
  return {
    Invoke: async (input) => {
      const match = /:function:([^:]+)/.exec(String(input.FunctionName));
      const name = match ? (match[1] as string) : String(input.FunctionName);
      const fn = state.functions.get(name);
      if (!fn) throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${name}`);
      let payload: unknown = null;
      if (String(input.Payload ?? '').length > 0) {
        try {
          payload = JSON.parse(String(input.Payload));
        } catch {
          throw new AwsError(400, 'InvalidRequestContentException', 'Could not parse request body into json.');
        }
      }
      if (input.InvocationType === 'Event') {
        // Asynchronous: accepted at once; the platform's retries are not emulated.
        void fn(payload).catch(() => undefined);
        return new RawAnswer(202, '');
      }
      try {
        const result = await fn(payload);
        return new RawAnswer(200, JSON.stringify(result ?? null), { 'x-amz-executed-version': '$LATEST' });
      } catch (error) {
        const failure = error as { name?: unknown; message?: unknown };
        const body = {
          errorType: typeof failure?.name === 'string' ? failure.name : 'Error',
          errorMessage: typeof failure?.message === 'string' ? failure.message : String(error),
          trace: [],
        };
        return new RawAnswer(200, JSON.stringify(body), { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
      }
    },
  };
}

/** Characters outside the set SQS accepts in a message (#x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF). */
const SQS_INVALID_CHARACTER = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;

function attributesBytes(attributes: Record<string, { DataType?: string; StringValue?: string }> | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  }
  return bytes;
}

function respond(response: ServerResponse, status: number, payload: unknown, jsonVersion: '1.0' | '1.1') {
  const text = JSON.stringify(payload);
  response.writeHead(status, {
    'content-type': `application/x-amz-json-${jsonVersion}`,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

function respondRaw(response: ServerResponse, answer: RawAnswer) {
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(answer.body),
    'x-amzn-requestid': randomUUID(),
    ...answer.headers,
  });
  response.end(answer.body);
}

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * One line of events.jsonl. JSON.stringify recurses, so a detail nested deeper than its stack
 * allows (valid JSON, parsed fine) is written from its own text instead: that text is valid
 * JSON, and its raw line breaks can only be whitespace between tokens.
 */
function eventLine(event: BusEvent, detailText: string): string {
  try {
    return JSON.stringify(event);
  } catch {
    const { detail: _detail, ...rest } = event;
    return `${JSON.stringify(rest).slice(0, -1)},"detail":${detailText.replace(/[\r\n]+/g, ' ')}}`;
  }
}

type Persistence = ReturnType<typeof persistence>;

/** File layout of the local mode: `.local/secrets.json`, `.local/events.jsonl`, `.local/queues.json`, `.local/parameters.json`. */
function persistence(dir: string) {
  mkdirSync(dir, { recursive: true });
  const secretsFile = join(dir, 'secrets.json');
  const eventsFile = join(dir, 'events.jsonl');
  const queuesFile = join(dir, 'queues.json');
  const parametersFile = join(dir, 'parameters.json');
  const readJson = <T>(file: string, fallback: T): T => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback);
  return {
    loadSecrets: () => Object.entries(readJson<Record<string, SecretVersion[]>>(secretsFile, {})),
    saveSecrets: (secrets: Map<string, SecretVersion[]>) =>
      writeFileSync(secretsFile, JSON.stringify(Object.fromEntries(secrets), null, 2), { mode: 0o600 }),
    loadEvents: (): BusEvent[] =>
      existsSync(eventsFile)
        ? readFileSync(eventsFile, 'utf8')
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line) as BusEvent)
        : [],
    appendEvent: (event: BusEvent, detailText: string) => appendFileSync(eventsFile, `${eventLine(event, detailText)}\n`),
    loadQueues: () => Object.entries(readJson<Record<string, QueueMessage[]>>(queuesFile, {})),
    saveQueues: (queues: Map<string, QueueMessage[]>) => writeFileSync(queuesFile, JSON.stringify(Object.fromEntries(queues), null, 2)),
    loadParameters: () => Object.entries(readJson<Record<string, StoredParameter>>(parametersFile, {})),
    saveParameters: (parameters: Map<string, StoredParameter>) =>
      writeFileSync(parametersFile, JSON.stringify(Object.fromEntries(parameters), null, 2)),
  };
}
