/** The rotator's configuration type, declared with its environment in `./env.ts`. */
export type { RotatorConfig } from './env';
