/**
 * Entry point of the rotator Lambda (the bundle exports `handler`), the target of the rotation
 * schedule. Built once per container: the configuration is validated here, at cold start, and a
 * bad one fails the init with a message naming the variable.
 */
import { buildRotator, createRotatorClients } from './build-rotator';
import { loadRotatorConfig } from './env';

export const handler = buildRotator(loadRotatorConfig(), createRotatorClients());
