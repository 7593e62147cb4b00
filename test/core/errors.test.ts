import { describe, expect, it, jest } from '@jest/globals';
import { runInNewContext } from 'node:vm';
import { Logger } from '@aws-lambda-powertools/logger';
import { mayHealOnRetry, SafeError, safeMessage } from '../../lambda/core/errors';
import { captureOutput } from '../helpers/capture-output';

const SECRET = 'webhook-token-sentinel-0123456789';

describe('SafeError', () => {
  it('keeps its cause for a debugger but out of `cause`, enumerable properties and JSON', () => {
    const cause = new Error(`upstream said ${SECRET}`);
    const error = new SafeError('Secrets Manager GetSecretValue failed: ThrottlingException', { cause, failure: 'throttled' });
    expect(error.unloggedCause()).toBe(cause);
    expect((error as { cause?: unknown }).cause).toBeUndefined();
    expect(Object.keys(error)).not.toContain('cause');
    expect(JSON.stringify(error)).not.toContain(SECRET);
    expect(error.failure).toBe('throttled');
  });

  it('is logged by Powertools with its message and failure class, never its cause', () => {
    const output = captureOutput();
    try {
      const logger = new Logger({ serviceName: 'errors-test' });
      const error = new SafeError('Amani GET /api/v2/webhook/token failed: HTTP 500', { cause: new Error(SECRET), failure: 'transient' });
      logger.error('run failed', error);
      logger.error('run failed', { error });
    } finally {
      output.restore();
    }
    expect(output.text()).toContain('Amani GET /api/v2/webhook/token failed: HTTP 500');
    expect(output.text()).toContain('transient');
    expect(output.text()).not.toContain(SECRET);
  });

  it('is recognised by its brand, also from another copy of the module (where instanceof fails)', () => {
    let OtherSafeError: typeof SafeError | undefined;
    jest.isolateModules(() => {
      OtherSafeError = (require('../../lambda/core/errors') as typeof import('../../lambda/core/errors')).SafeError;
    });
    const foreign = new OtherSafeError!('made elsewhere');
    expect(foreign instanceof SafeError).toBe(false);
    expect(SafeError.is(foreign)).toBe(true);
    expect(safeMessage(foreign)).toBe('made elsewhere');
  });

  it('is not faked by an object that merely has the name', () => {
    const impostor = Object.assign(new Error(SECRET), { name: 'SafeError', failure: 'client' });
    expect(SafeError.is(impostor)).toBe(false);
    expect(safeMessage(impostor)).toBe('SafeError');
  });
});

describe('safeMessage', () => {
  it("repeats a SafeError's message (subclasses included)", () => {
    class StoreError extends SafeError {}
    expect(safeMessage(new StoreError('SSM GetParameter failed: AccessDeniedException HTTP 400'))).toBe(
      'SSM GetParameter failed: AccessDeniedException HTTP 400',
    );
  });

  it('names any other error without repeating its message, from any realm', () => {
    expect(safeMessage(new TypeError(`Unexpected token in ${SECRET}`))).toBe('TypeError');
    const foreign = runInNewContext(`Object.assign(new Error(${JSON.stringify(SECRET)}), { name: 'ThrottlingException' })`);
    expect(foreign instanceof Error).toBe(false);
    expect(safeMessage(foreign)).toBe('ThrottlingException');
  });

  it('says "unknown error" for values without a plausible name', () => {
    for (const value of [undefined, null, 42, SECRET, { name: SECRET.repeat(3) }, { name: `a\n${SECRET}` }, { name: 7 }]) {
      expect(safeMessage(value)).toBe('unknown error');
    }
  });
});

describe('mayHealOnRetry', () => {
  it('is false only for a client failure', () => {
    expect(mayHealOnRetry(new SafeError('refused', { failure: 'client' }))).toBe(false);
    for (const failure of ['throttled', 'transient', 'unknown'] as const)
      expect(mayHealOnRetry(new SafeError('x', { failure }))).toBe(true);
    expect(mayHealOnRetry(new Error('anything else'))).toBe(true);
  });
});
