/** The receiver's configuration type, declared with its environment in `./env.ts`. */
export type { ReceiverConfig } from './env';
