/**
 * Jest runs each test file in a vm context: errors made by Node's core modules (a socket hang
 * up, ECONNRESET) come from the main realm and fail `instanceof Error` in the test's realm. The
 * AWS SDK's retry middleware then wraps them into an anonymous "AWS SDK error wrapper" that has
 * lost its name and code, so a connection reset looks like a permanent client error to the
 * receiver's own PutEvents retry loop - in jest only. In Lambda there is one realm and the
 * error keeps its name (`TimeoutError`, code `ECONNRESET`) and is retried.
 *
 * The wire-level suites must see what production sees, so this makes `instanceof Error` (and
 * only `Error` itself, not its subclasses) recognise native errors of any realm, as a single
 * realm would. Import it first.
 */
import { types } from 'node:util';

const ordinary = Function.prototype[Symbol.hasInstance];
if (!(Error as unknown as { __singleRealm?: boolean }).__singleRealm) {
  Object.defineProperty(Error, Symbol.hasInstance, {
    configurable: true,
    value: function (this: unknown, value: unknown): boolean {
      return ordinary.call(this, value) || (this === Error && types.isNativeError(value));
    },
  });
  Object.defineProperty(Error, '__singleRealm', { value: true });
}
