/**
 * Entry point of the registration Lambda (the bundle exports `handler`): the onEvent handler of
 * the stack's `custom_resources.Provider`, and the operator's `{"action":"register"}` target.
 * Built once per container: the configuration is validated here, at cold start, and a bad one
 * fails the init with a message naming the variable.
 */
import { buildRegistration, createRegistrationClients } from './build-registration';
import { loadRegistrationConfig } from './env';

export const handler = buildRegistration(loadRegistrationConfig(), createRegistrationClients());
