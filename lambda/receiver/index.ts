/**
 * Entry point of the receiver Lambda (the bundle exports `handler`). Built once per container:
 * the configuration is validated here, at cold start, and a bad one fails the init with a
 * message naming the variable.
 */
import { loadReceiverConfig } from './env';
import { buildReceiver, createReceiverClients } from './build-receiver';

export const handler = buildReceiver(loadReceiverConfig(), createReceiverClients());
