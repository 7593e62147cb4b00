/**
 * Builds the CLI into plain JavaScript (dist/cli/bin.mjs and its chunks) so the installed package
 * runs on Node alone, without tsx or any dev dependency: `npm run build`, run by `npm pack`
 * (prepack). Dependencies stay external (the package's own
 * `dependencies`). Each target kind sits behind a dynamic import and lands in its own chunk, so a
 * command on a deployed stage never loads the local mode's code; dist/cli.meta.json (esbuild's
 * metafile, not packed) lets a test check that.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['cli/bin.ts'],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
});
writeFileSync(join(root, 'dist', 'cli.meta.json'), JSON.stringify(result.metafile, null, 1));
