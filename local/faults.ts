/**
 * Outages the local mode can simulate (`npm start -- --fault bus-down[:seconds]`), to watch the
 * paths a healthy run never takes: a delivery parked in the fallback queue (202) and redriven,
 * a 503 that makes Amani retry, a rotation that fails and the sync that reports the token state.
 * It drives the stand-ins through their public hooks only (the emulator's and the local
 * DynamoDB's call hooks, the simulator's injected faults); the product's code is unchanged.
 */
import type { AwsEmulator, Fault, Operation } from './aws-emulator';
import type { LocalDynamoDb } from './dynamodb';
import { SIMULATOR_ROUTES, type AmaniSimulator, type SimulatorRoute } from './amani-simulator';

/** Each fault, what it breaks and what to watch. */
export const LOCAL_FAULTS = {
  'bus-down':
    'EventBridge answers every PutEvents with a server error: after its retry budget the receiver parks the delivery in the fallback queue and answers 202; clear it, then `npx amani-webhooks redrive`',
  'fallback-down': 'SQS answers every SendMessage with a server error: with bus-down too, deliveries are answered 503 (Amani retries)',
  'secrets-down':
    'Secrets Manager answers every call with a server error: a receiver with a cached token keeps serving, a rotation fails and its sync reports the token state',
  'amani-down': "Amani's API answers 503 to everything: rotate, sync, send and status report Amani's failure",
  'dynamodb-down':
    'DynamoDB (the delivery ledger) answers every call with a server error: deliveries are still published, marked dedup "unchecked", and a repeated one is published again',
} as const;

export type LocalFault = keyof typeof LOCAL_FAULTS;

/** One `--fault` argument: a fault, for a number of seconds or (without one) until the local mode stops. */
export interface FaultSpec {
  readonly fault: LocalFault;
  readonly seconds?: number;
}

const AWS_OPERATIONS: Partial<Record<LocalFault, readonly Operation[]>> = {
  'bus-down': ['PutEvents'],
  'fallback-down': ['SendMessage'],
  'secrets-down': ['GetSecretValue', 'PutSecretValue', 'CreateSecret'],
};

/** Parses `name` or `name:seconds`; the message of a thrown Error says what is allowed. */
export function parseFaultSpec(text: string): FaultSpec {
  const [name = '', duration, ...rest] = text.split(':');
  if (!(name in LOCAL_FAULTS) || rest.length > 0) {
    throw new Error(`Unknown fault "${text}". Known: ${Object.keys(LOCAL_FAULTS).join(', ')} (optionally :<seconds>, e.g. bus-down:30)`);
  }
  if (duration === undefined) return { fault: name as LocalFault };
  const seconds = Number(duration);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--fault ${text}: the duration must be a number of seconds above 0`);
  return { fault: name as LocalFault, seconds };
}

export interface FaultSwitchboard {
  /** Faults in force now. */
  active(): readonly LocalFault[];
  set(fault: LocalFault, on: boolean): void;
  /** Switches every fault off and forgets pending timers. */
  close(): void;
}

/**
 * Installs the faults on a running emulator and simulator. Each spec with a duration switches
 * itself off after it and calls `onCleared`.
 */
export function installFaults(
  stands: { readonly emulator: AwsEmulator; readonly amani: AmaniSimulator; readonly dynamodb?: LocalDynamoDb },
  specs: readonly FaultSpec[],
  onCleared: (fault: LocalFault) => void = () => undefined,
): FaultSwitchboard {
  const active = new Set<LocalFault>();
  const timers: NodeJS.Timeout[] = [];
  const serverError: Fault = { kind: 'server-error' };
  stands.emulator.setCallHook((call) => {
    for (const fault of active) if (AWS_OPERATIONS[fault]?.includes(call.operation as Operation)) return serverError;
    return undefined;
  });
  stands.dynamodb?.setCallHook(() => (active.has('dynamodb-down') ? { kind: 'server-error' } : undefined));
  const applyAmani = () => {
    stands.amani.clearFaults();
    if (!active.has('amani-down')) return;
    for (const route of Object.keys(SIMULATOR_ROUTES) as SimulatorRoute[]) {
      stands.amani.injectFault(route, { kind: 'fail-before', status: 503 }, { times: Number.POSITIVE_INFINITY });
    }
  };
  const board: FaultSwitchboard = {
    active: () => [...active],
    set(fault, on) {
      if (on) active.add(fault);
      else active.delete(fault);
      if (fault === 'amani-down') applyAmani();
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      active.clear();
      stands.emulator.setCallHook(undefined);
      stands.dynamodb?.setCallHook(undefined);
      applyAmani();
    },
  };
  for (const spec of specs) {
    board.set(spec.fault, true);
    if (spec.seconds !== undefined) {
      const timer = setTimeout(() => {
        board.set(spec.fault, false);
        onCleared(spec.fault);
      }, spec.seconds * 1000);
      timer.unref();
      timers.push(timer);
    }
  }
  return board;
}
