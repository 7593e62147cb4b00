/**
 * Bundles each function with esbuild the way the stack's NodejsFunction does (read from
 * infra/constructs/lambda-function.ts as text: the bench must not load CDK), in two flavours:
 * the AWS SDK bundled (`bundleAwsSDK: true`) and the SDK left external (`@aws-sdk/*`, what CDK
 * does by default: the Lambda runtime provides its own copy).
 *
 * esbuild arguments CDK derives from those props (aws-lambda-nodejs bundling): --bundle
 * --platform=node --target=node<runtime> --format=esm --outfile=index.mjs --minify --sourcemap
 * --sources-content=false --external:... --banner:js=... --main-fields=module,main.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export type SdkPlacement = 'bundled' | 'external';

export interface StackBundling {
  readonly banner: string;
  readonly target: string;
  readonly minify: boolean;
  readonly sourceMap: boolean;
  readonly sourcesContent: boolean;
  readonly mainFields: string[];
  /** What the construct currently sets (`bundleAwsSDK`). */
  readonly stackSdk: SdkPlacement;
  readonly nodeOptions: string;
  /** Settings not found in the construct, assumed from the previous known version. */
  readonly assumed: string[];
}

const KNOWN_BANNER =
  "import { createRequire as __amaniCreateRequire } from 'node:module'; const require = __amaniCreateRequire(import.meta.url);";

export function readStackBundling(repoRoot: string): StackBundling {
  const assumed: string[] = [];
  let text = '';
  try {
    text = readFileSync(join(repoRoot, 'infra/constructs/lambda-function.ts'), 'utf8');
  } catch {
    assumed.push('infra/constructs/lambda-function.ts (not found)');
  }
  const pick = <T>(name: string, pattern: RegExp, parse: (match: RegExpExecArray) => T, fallback: T): T => {
    const match = pattern.exec(text);
    if (match) return parse(match);
    assumed.push(name);
    return fallback;
  };
  const bool = (name: string, fallback: boolean) =>
    pick(name, new RegExp(`\\b${name}:\\s*(true|false)\\b`), (m) => m[1] === 'true', fallback);
  return {
    banner: pick(
      'ESM_REQUIRE_BANNER',
      /ESM_REQUIRE_BANNER\s*=\s*("(?:[^"\\]|\\.)*")/,
      (m) => JSON.parse(m[1] as string) as string,
      KNOWN_BANNER,
    ),
    target: pick('runtime', /Runtime\.NODEJS_(\d+)_X/, (m) => `node${m[1]}`, 'node24'),
    minify: bool('minify', true),
    sourceMap: bool('sourceMap', true),
    sourcesContent: bool('sourcesContent', false),
    mainFields: pick(
      'mainFields',
      /mainFields:\s*\[([^\]]*)\]/,
      (m) => [...(m[1] as string).matchAll(/'([^']+)'/g)].map((f) => f[1] as string),
      ['module', 'main'],
    ),
    stackSdk: pick('bundleAwsSDK', /bundleAwsSDK:\s*(true|false)/, (m) => (m[1] === 'true' ? 'bundled' : 'external'), 'external'),
    // No NODE_OPTIONS in the construct: the functions run without any.
    nodeOptions: /NODE_OPTIONS:\s*'([^']*)'/.exec(text)?.[1] ?? '',
    assumed,
  };
}

export interface BundleResult {
  readonly fn: string;
  readonly sdk: SdkPlacement;
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  readonly buildMs: number;
}

export async function bundleFunction(
  repoRoot: string,
  outRoot: string,
  fn: { readonly name: string; readonly entry: string },
  sdk: SdkPlacement,
  settings: StackBundling,
): Promise<BundleResult> {
  const outfile = join(outRoot, `${fn.name}-sdk-${sdk}`, 'index.mjs');
  // A map left by an earlier build with source maps would be counted as this one's.
  rmSync(`${outfile}.map`, { force: true });
  const started = performance.now();
  await build({
    absWorkingDir: repoRoot,
    entryPoints: [join(repoRoot, fn.entry)],
    bundle: true,
    platform: 'node',
    target: settings.target,
    format: 'esm',
    outfile,
    minify: settings.minify,
    sourcemap: settings.sourceMap,
    sourcesContent: settings.sourcesContent,
    external: sdk === 'external' ? ['@aws-sdk/*'] : [],
    banner: { js: settings.banner },
    mainFields: settings.mainFields,
    logLevel: 'error',
  });
  const buildMs = performance.now() - started;
  const code = readFileSync(outfile);
  let mapBytes = 0;
  try {
    mapBytes = statSync(`${outfile}.map`).size;
  } catch {
    mapBytes = 0;
  }
  return { fn: fn.name, sdk, file: outfile, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, mapBytes, buildMs };
}

/**
 * The sources of `commit` needed to bundle a function as that commit's stack did (lambda/ and the
 * construct holding the bundling settings), extracted under `scratch` with this checkout's
 * node_modules linked in. Undefined when git cannot produce them (a shallow clone, no git).
 */
export function baselineSources(repoRoot: string, commit: string, scratch: string): string | undefined {
  const dir = join(scratch, `baseline-${commit}`);
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', commit, 'lambda', 'infra/constructs/lambda-function.ts', 'package.json'], {
      cwd: repoRoot,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    execFileSync('tar', ['-x', '-C', dir], { input: archive, stdio: ['pipe', 'ignore', 'ignore'] });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return dir;
  } catch {
    return undefined;
  }
}
