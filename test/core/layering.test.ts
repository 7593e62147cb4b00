import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The dependency direction, read from the sources: the core is pure (zod, node:crypto,
 * node:buffer and itself; no adapter, no AWS SDK, no HTTP, no environment), adapters implement the core's ports
 * without reaching into a function, and the use cases depend on ports, not on adapters.
 */
const ROOT = join(__dirname, '..', '..');
// node:buffer is pure computation (and `Buffer` is a global anyway).
const CORE_MAY_IMPORT = new Set(['zod', 'zod/mini', 'node:crypto', 'node:buffer']);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Every module a file names: static imports and re-exports, side-effect imports, import() and require(). */
function importsOf(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] as string));
}

const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('importsOf (the scanner itself)', () => {
  it('finds every form of import', () => {
    const source = [
      "import { a } from 'one';",
      "import type { B } from './two';",
      "export { c } from '../three';",
      "export type { D } from 'four';",
      "import 'five';",
      "const six = require('six');",
      "const seven = await import('seven');",
      "import {\n  eight,\n} from 'eight';",
    ].join('\n');
    expect(importsOf(source).sort()).toEqual(['../three', './two', 'eight', 'five', 'four', 'one', 'seven', 'six']);
  });
});

describe('lambda/core', () => {
  const files = sources('lambda/core');

  it('has sources to check', () => {
    expect(files).toEqual(expect.arrayContaining(['lambda/core/ports.ts', 'lambda/core/errors.ts', 'lambda/core/rotation.ts']));
  });

  it.each(files)('%s imports only zod, node:crypto, node:buffer and the core', (file) => {
    const outside = importsOf(text(file)).filter((specifier) => !CORE_MAY_IMPORT.has(specifier) && !/^\.\/[\w.-]+$/.test(specifier));
    expect(outside).toEqual([]);
  });

  it.each(files)('%s reads no environment and makes no HTTP call', (file) => {
    expect(text(file)).not.toMatch(/\bprocess\.env\b|\bfetch\s*\(|\bglobalThis\.fetch\b/);
  });
});

describe('lambda/adapters', () => {
  it.each(sources('lambda/adapters'))('%s uses the core and the SDK, never a function', (file) => {
    const local = importsOf(text(file)).filter((specifier) => specifier.startsWith('.'));
    const reaching = local.filter((specifier) => !/^\.\.\/core\/[\w.-]+$/.test(specifier) && !/^\.\/[\w.-]+$/.test(specifier));
    expect(reaching).toEqual([]);
  });
});

describe('use cases', () => {
  it.each(['lambda/receiver/receive-delivery.ts', 'lambda/rotator/rotate-token.ts', 'lambda/registration/register.ts'])(
    '%s depends on ports, not on adapters or the AWS SDK',
    (file) => {
      const imports = importsOf(text(file));
      expect(
        imports.filter(
          (specifier) => specifier.includes('/adapters/') || specifier.startsWith('@aws-sdk/') || specifier.startsWith('@smithy/'),
        ),
      ).toEqual([]);
    },
  );
});
