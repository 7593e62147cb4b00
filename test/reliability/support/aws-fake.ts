/**
 * The wire-level fake of Secrets Manager, EventBridge and SQS for the reliability suites. It is
 * the local mode's emulator (`local/aws-emulator.ts`, a real HTTP server on 127.0.0.1 speaking
 * the AWS JSON protocol); this module adds what the suites need on top of it:
 * - `pointSdkAt`: the environment that sends the product's real SDK clients there
 *   (`AWS_ENDPOINT_URL`), so nothing in the product knows it is a fake;
 * - `FaultRouter`: faults per operation AND resource (secret id, bus name, queue URL), so that
 *   independent rows of a fault matrix can share one emulator and run side by side;
 * - `CallLedger`: which PutEvents / SendMessage calls carried which delivery id, and which of
 *   them may have landed without the caller knowing (lost answer, slow answer): the allowance
 *   for duplicates "beyond retries".
 */
import {
  EMULATOR_REGION,
  startAwsEmulator,
  type AwsEmulator,
  type CallHook,
  type CallOutcome,
  type EmulatorCall,
  type Fault,
} from '../../../local/aws-emulator';

export { startAwsEmulator };
export type { AwsEmulator, CallHook, CallOutcome, EmulatorCall, Fault };

/** What `local/local-stack.ts` (localAwsEnvironment) sets for the local mode, for a given endpoint. */
export function awsEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: EMULATOR_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** Points every SDK client created from now on at the emulator. */
export function pointSdkAt(emulator: AwsEmulator): void {
  Object.assign(process.env, awsEnvironment(emulator.endpoint));
}

/** The resource a call is about: SecretId, EventBusName of the first entry, or QueueUrl. */
export function resourceOf(call: EmulatorCall): string | undefined {
  const input = call.input;
  if (!input) return undefined;
  if (typeof input.SecretId === 'string') return input.SecretId;
  if (typeof input.QueueUrl === 'string') return input.QueueUrl;
  const entries = input.Entries as Array<{ EventBusName?: string }> | undefined;
  if (Array.isArray(entries) && typeof entries[0]?.EventBusName === 'string') return entries[0].EventBusName;
  return undefined;
}

/** The delivery id a PutEvents or SendMessage call carries (parsed from the entry, as a consumer would). */
export function deliveryIdOfCall(call: EmulatorCall): string | undefined {
  const input = call.input;
  if (!input) return undefined;
  try {
    if (call.operation === 'PutEvents') {
      const detail = (input.Entries as Array<{ Detail?: string }> | undefined)?.[0]?.Detail;
      return detail ? (JSON.parse(detail) as { metadata?: { deliveryId?: string } }).metadata?.deliveryId : undefined;
    }
    if (call.operation === 'SendMessage') {
      return (JSON.parse(String(input.MessageBody)) as { deliveryId?: string }).deliveryId;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

interface Route {
  readonly operation: string;
  readonly resource: string;
  readonly fault: Fault;
  skip: number;
  remaining: number;
}

export interface Schedule {
  /** Calls that get the fault (default: all from then on). */
  readonly times?: number;
  /** Clean calls before the fault starts: `{ skip: n - 1, times: 1 }` is the n-th call only. */
  readonly skip?: number;
}

/**
 * Faults per (operation, resource), FIFO per pair, installed as the emulator's call hook.
 * `observe` callbacks see every call with the fault it got (undefined: served normally).
 */
export class FaultRouter {
  private readonly routes: Route[] = [];
  private readonly observers: Array<(call: EmulatorCall, fault: Fault | undefined) => void> = [];
  private readonly outcomeObservers: Array<(call: EmulatorCall, outcome: CallOutcome) => void> = [];
  /** Runs before the routes; a fault it returns wins (crash points). */
  before: CallHook | undefined;

  constructor(private readonly emulator: AwsEmulator) {
    emulator.setCallHook((call) => this.decide(call));
    emulator.setCallObserver((call, outcome) => {
      for (const observer of this.outcomeObservers) observer(call, outcome);
    });
  }

  /** How each call ended (answered, refused, dropped, or done without the answer reaching the caller). */
  onOutcome(observer: (call: EmulatorCall, outcome: CallOutcome) => void): void {
    this.outcomeObservers.push(observer);
  }

  inject(operation: string, resource: string, fault: Fault, schedule: Schedule = {}): void {
    this.routes.push({ operation, resource, fault, skip: schedule.skip ?? 0, remaining: schedule.times ?? Number.POSITIVE_INFINITY });
  }

  /** Removes the faults of one resource (all when omitted). */
  clear(resource?: string): void {
    for (let i = this.routes.length - 1; i >= 0; i--)
      if (resource === undefined || this.routes[i]!.resource === resource) this.routes.splice(i, 1);
  }

  observe(observer: (call: EmulatorCall, fault: Fault | undefined) => void): () => void {
    this.observers.push(observer);
    return () => this.observers.splice(this.observers.indexOf(observer), 1);
  }

  detach(): void {
    this.emulator.setCallHook(undefined);
    this.emulator.setCallObserver(undefined);
  }

  private decide(call: EmulatorCall): Fault | undefined {
    let fault = this.before?.(call);
    if (!fault) {
      const resource = resourceOf(call);
      const route = this.routes.find((r) => r.operation === call.operation && r.resource === resource);
      if (route) {
        if (route.skip > 0) route.skip--;
        else {
          route.remaining--;
          if (route.remaining <= 0) this.routes.splice(this.routes.indexOf(route), 1);
          fault = route.fault;
        }
      }
    }
    for (const observer of this.observers) observer(call, fault);
    return fault;
  }
}

/**
 * Per delivery id: how many PutEvents / SendMessage calls carried it, and how many of those
 * took effect without their answer reaching the caller (an injected lost answer, or a caller
 * that had given up, e.g. at its timeout): the only legitimate source of a second copy.
 */
export class CallLedger {
  readonly puts = new Map<string, number>();
  readonly sends = new Map<string, number>();
  readonly ambiguous = new Map<string, number>();
  /** Per delivery id, each call as `operation(fault) -> outcome +ms`: the story of a failed check. */
  readonly story = new Map<string, string[]>();
  private readonly firstSeen = new Map<string, number>();
  private readonly faults = new Map<number, Fault | undefined>();

  constructor(router: FaultRouter) {
    router.observe((call, fault) => {
      if (call.operation === 'PutEvents' || call.operation === 'SendMessage') this.faults.set(call.sequence, fault);
    });
    router.onOutcome((call, outcome) => {
      if (call.operation !== 'PutEvents' && call.operation !== 'SendMessage') return;
      const id = deliveryIdOfCall(call);
      if (id === undefined) return;
      const counts = call.operation === 'PutEvents' ? this.puts : this.sends;
      counts.set(id, (counts.get(id) ?? 0) + 1);
      if (outcome === 'answer-lost') this.ambiguous.set(id, (this.ambiguous.get(id) ?? 0) + 1);
      const fault = this.faults.get(call.sequence);
      this.faults.delete(call.sequence);
      const first = this.firstSeen.get(id) ?? Date.now();
      this.firstSeen.set(id, first);
      this.story.set(id, [
        ...(this.story.get(id) ?? []),
        `${call.operation}(${fault?.kind ?? 'no fault'}) -> ${outcome} +${Date.now() - first}ms`,
      ]);
    });
  }

  /** Copies of `id` that may legitimately exist across the bus and the fallback queue. */
  allowedCopies(id: string): number {
    return 1 + (this.ambiguous.get(id) ?? 0);
  }
}
