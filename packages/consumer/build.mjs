/**
 * Builds @amani-webhooks/events for installing: dist/index.mjs (ESM) and dist/index.cjs (CommonJS),
 * zod external (a peer dependency: the consumer's own zod), and the type declarations under
 * dist/types (tsc). Run by `npm pack` here (prepack) and by `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
rmSync(join(here, 'dist'), { recursive: true, force: true });
for (const [format, extension] of [
  ['esm', '.mjs'],
  ['cjs', '.cjs'],
]) {
  await build({
    absWorkingDir: here,
    entryPoints: ['src/index.ts'],
    outfile: `dist/index${extension}`,
    bundle: true,
    format,
    platform: 'neutral',
    target: 'es2022',
    external: ['zod'],
    logLevel: 'warning',
    legalComments: 'none',
  });
}
// typescript's `exports` hide its bin; its package.json says where it is.
const typescript = createRequire(import.meta.url).resolve('typescript/package.json');
execFileSync(process.execPath, [join(dirname(typescript), 'bin', 'tsc'), '-p', join(here, 'tsconfig.build.json')], { stdio: 'inherit' });
