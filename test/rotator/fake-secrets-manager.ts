import {
  GetSecretValueCommand,
  InternalServiceError,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { EffectLog } from './world';

/**
 * A stateful Secrets Manager behind one real SDK v3 client instance (aws-sdk-client-mock at the
 * instance level, so the receiver harness can mock the class at the same time): GetSecretValue
 * returns the AWSCURRENT version, PutSecretValue adds a version and honours ClientRequestToken
 * idempotency like AWS (same token and same value: no new version; same token, other value:
 * ResourceExistsException). Faults per operation and secret, optionally applied before failing
 * (the write lands but the answer is lost).
 */
export interface SecretVersion {
  readonly versionId: string;
  readonly secretString: string;
}

export interface PutRecord {
  readonly secretId: string;
  readonly clientRequestToken: string | undefined;
  readonly outcome: 'created' | 'idempotent-repeat' | 'failed' | 'applied-then-failed';
}

export interface SecretFault {
  readonly secretId: string;
  readonly times?: number;
  readonly error?: () => Error;
  /** PutSecretValue only: store the version, then fail (a lost answer). */
  readonly applied?: boolean;
}

export function serverError(): Error {
  return new InternalServiceError({ message: 'simulated internal error', $metadata: { httpStatusCode: 500 } });
}

export function fakeSecretsManager(client: SecretsManagerClient, initial: Record<string, string | undefined>, world?: EffectLog) {
  const mock = mockClient(client);
  const versions = new Map<string, SecretVersion[]>(
    Object.entries(initial).map(([id, value]) => [id, value === undefined ? [] : [{ versionId: 'v0', secretString: value }]]),
  );
  const faults: Record<'GetSecretValue' | 'PutSecretValue', (SecretFault & { remaining: number })[]> = {
    GetSecretValue: [],
    PutSecretValue: [],
  };
  const puts: PutRecord[] = [];
  const reads: string[] = [];

  const takeFault = (operation: 'GetSecretValue' | 'PutSecretValue', secretId: string) => {
    const queue = faults[operation];
    const index = queue.findIndex((fault) => fault.secretId === secretId);
    const fault = queue[index];
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) queue.splice(index, 1);
    return fault;
  };
  const effect = <T>(label: string, perform: () => Promise<T>) => (world ? world.effect(label, perform, () => crash()) : perform());

  mock.on(GetSecretValueCommand).callsFake((input: { SecretId?: string }) =>
    effect(`GetSecretValue ${input.SecretId}`, async () => {
      const secretId = input.SecretId ?? '';
      reads.push(secretId);
      const fault = takeFault('GetSecretValue', secretId);
      if (fault) throw (fault.error ?? serverError)();
      const list = versions.get(secretId);
      if (!list)
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: { httpStatusCode: 400 },
        });
      const current = list.at(-1);
      if (!current) {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
          $metadata: { httpStatusCode: 400 },
        });
      }
      return {
        ARN: secretId,
        Name: secretId,
        VersionId: current.versionId,
        SecretString: current.secretString,
        VersionStages: ['AWSCURRENT'],
      };
    }),
  );

  mock.on(PutSecretValueCommand).callsFake((input: { SecretId?: string; SecretString?: string; ClientRequestToken?: string }) =>
    effect(`PutSecretValue ${input.SecretId}`, async () => {
      const secretId = input.SecretId ?? '';
      const token = input.ClientRequestToken;
      const fault = takeFault('PutSecretValue', secretId);
      if (fault && !fault.applied) {
        puts.push({ secretId, clientRequestToken: token, outcome: 'failed' });
        throw (fault.error ?? serverError)();
      }
      const list = versions.get(secretId);
      if (!list)
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: { httpStatusCode: 400 },
        });
      const existing = token === undefined ? undefined : list.find((version) => version.versionId === token);
      let outcome: PutRecord['outcome'];
      if (existing) {
        if (existing.secretString !== input.SecretString) {
          puts.push({ secretId, clientRequestToken: token, outcome: 'failed' });
          throw new ResourceExistsException({
            message: 'A version with this ClientRequestToken already exists with other content.',
            $metadata: { httpStatusCode: 400 },
          });
        }
        outcome = 'idempotent-repeat';
      } else {
        list.push({ versionId: token ?? `v${list.length + 1}`, secretString: input.SecretString ?? '' });
        outcome = 'created';
      }
      if (fault?.applied) {
        puts.push({ secretId, clientRequestToken: token, outcome: 'applied-then-failed' });
        throw (fault.error ?? serverError)();
      }
      puts.push({ secretId, clientRequestToken: token, outcome });
      return { ARN: secretId, Name: secretId, VersionId: existing?.versionId ?? token, VersionStages: ['AWSCURRENT'] };
    }),
  );

  return {
    mock,
    puts,
    reads,
    injectFault(operation: 'GetSecretValue' | 'PutSecretValue', fault: SecretFault) {
      faults[operation].push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      faults.GetSecretValue.length = 0;
      faults.PutSecretValue.length = 0;
    },
    current(secretId: string): string | undefined {
      return versions.get(secretId)?.at(-1)?.secretString;
    },
    versions(secretId: string): readonly SecretVersion[] {
      return versions.get(secretId) ?? [];
    },
    set(secretId: string, secretString: string) {
      const list = versions.get(secretId) ?? [];
      list.push({ versionId: `manual-${list.length}`, secretString });
      versions.set(secretId, list);
    },
    restore() {
      mock.restore();
    },
  };
}

function crash(): Error {
  return Object.assign(new Error('simulated crash: the process is gone'), { name: 'SimulatedCrash' });
}

export type FakeSecretsManager = ReturnType<typeof fakeSecretsManager>;
