#!/usr/bin/env node
// The operations CLI, built into plain JavaScript by `npm run build` (cli/build.mjs).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/bin.mjs', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(`amani-webhooks is not built (no ${entry.pathname}): run \`npm run build\` in the project.\n`);
  process.exit(1);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
await import(entry.href);
