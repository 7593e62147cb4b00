#!/usr/bin/env node
// The operations CLI. Its sources are TypeScript, run through tsx (a dev dependency of this repo).
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
registerCommonJs();
registerEsm();
await import('../cli/bin.ts');
