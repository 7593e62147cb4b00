#!/usr/bin/env node
// The operations CLI. Installed from the package it runs the plain JavaScript build
// (dist/cli, made by `npm run build` when packing); in a checkout of the repository, where the
// TypeScript sources sit beside this file, it runs them through tsx (a dev dependency), so what
// runs is always the current source.
import { existsSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const sources = new URL('../cli/bin.ts', import.meta.url);
const build = new URL('../dist/cli/bin.mjs', import.meta.url);
if (existsSync(sources)) {
  const { register: registerCommonJs } = await import('tsx/cjs/api');
  const { register: registerEsm } = await import('tsx/esm/api');
  registerCommonJs();
  registerEsm();
  await import(sources.href);
} else if (existsSync(build)) {
  await import(build.href);
} else {
  process.stderr.write(`amani-webhooks is not built (no ${build.pathname}): run \`npm run build\`.\n`);
  process.exitCode = 1;
}
