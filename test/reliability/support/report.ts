/**
 * Figures for docs/reliability.md: with RELIABILITY_REPORT_DIR set, each suite writes what it
 * tried and measured there as JSON (nothing is written otherwise, and nothing secret ever is).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeReport(name: string, data: unknown): void {
  const dir = process.env.RELIABILITY_REPORT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
}
