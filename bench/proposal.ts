/**
 * A measured prototype of the receiver fix the bench proposes, without touching lambda/**: the
 * bench copies lambda/ into a scratch directory, applies the edits below, and times the patched
 * receiver next to the real one in the same run. If an edit no longer applies (someone changed
 * the code), the prototype is skipped and the report says so.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Edit {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

export interface Proposal {
  readonly title: string;
  readonly rationale: string;
  readonly edits: readonly Edit[];
}

/**
 * Two local changes to the receiver, both keeping its behaviour (see docs/benchmarks.md, "What
 * dominates"): a linear base64 check, and no UTF-8 pass over the whole event just to learn that
 * it is far below the size limit.
 */
export const RECEIVER_PROPOSAL: Proposal = {
  title: 'Receiver: check the base64 body natively, and bound the event size from the body length',
  rationale:
    '(1) readRawBody validates the API Gateway base64 body with the anchored regex /^(?:[A-Za-z0-9+/]{4})*(?:...)?$/ before ' +
    'decoding it; V8 runs it at a few ns per character, about 1 ms for a 256 KiB delivery (430 KB of base64): more than the ' +
    'HMAC, the SHA-256 and the UTF-8 decode together. Decoding first and comparing the re-encoded text with the original ' +
    'accepts exactly the canonical base64 API Gateway produces (everything the regex accepted except non-zero padding bits, ' +
    'which no encoder emits), in native code. (2) busEntrySize re-encodes the whole Detail to count its UTF-8 bytes on every ' +
    'delivery (slow for non-ASCII text, a two-byte string in V8); the body length already bounds it, so the exact count is ' +
    'only needed near the limit. Both keep every answer the same (checked when this prototype was written: the 1185 tests of test/receiver, test/core and test/local pass against the patched copy).',
  edits: [
    {
      file: 'lambda/receiver/api-gateway.ts',
      find: "const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;\n\n",
      replace: '',
    },
    {
      file: 'lambda/receiver/api-gateway.ts',
      find: "    if (!BASE64.test(body)) return { kind: 'invalid-base64' };\n    const bytes = Buffer.from(body, 'base64');\n",
      replace:
        "    const bytes = Buffer.from(body, 'base64');\n" +
        '    // Canonical base64 is exactly what re-encodes to itself: one native decode and encode, linear\n' +
        '    // in the body (an anchored regex over the text cost about 1 ms per 256 KiB delivery).\n' +
        "    if (bytes.toString('base64') !== body) return { kind: 'invalid-base64' };\n",
    },
    {
      file: 'lambda/receiver/receive-delivery.ts',
      find:
        '  const entryBytes = busEntrySize(entry);\n' +
        '  if (entryBytes > config.maxEventBytes) {\n',
      replace:
        '  // Counting UTF-8 bytes is a pass over up to a megabyte of text: bound the size from the body\n' +
        '  // first (the embedded JSON is at most the body\'s bytes, any other UTF-16 unit at most 3 bytes).\n' +
        '  const entryBytesAtMost = 3 * (entry.Source.length + entry.DetailType.length + entry.Detail.length - parsed.json.length) + body.length;\n' +
        '  const entryBytes = entryBytesAtMost > config.maxEventBytes ? busEntrySize(entry) : entryBytesAtMost;\n' +
        '  if (entryBytes > config.maxEventBytes) {\n',
    },
  ],
};

export interface PreparedProposal {
  readonly proposal: Proposal;
  /** Root of the patched copy (holds `lambda/`). */
  readonly root: string;
  /** Unified diff of the edits, relative to the repository. */
  readonly diff: string;
}

export type ProposalOutcome = { readonly ok: true; readonly prepared: PreparedProposal } | { readonly ok: false; readonly reason: string };

export function prepareProposal(repoRoot: string, scratch: string, proposal: Proposal): ProposalOutcome {
  const root = join(scratch, 'proposal');
  rmSync(root, { recursive: true, force: true });
  cpSync(join(repoRoot, 'lambda'), join(root, 'lambda'), { recursive: true });
  const touched = new Set<string>();
  for (const edit of proposal.edits) {
    const path = join(root, edit.file);
    const text = readFileSync(path, 'utf8');
    const at = text.indexOf(edit.find);
    if (at < 0 || text.indexOf(edit.find, at + 1) >= 0) {
      return { ok: false, reason: `${edit.file} changed since the proposal was written (the text to replace is not there exactly once)` };
    }
    writeFileSync(path, text.slice(0, at) + edit.replace + text.slice(at + edit.find.length));
    touched.add(edit.file);
  }
  return { ok: true, prepared: { proposal, root, diff: unifiedDiff(repoRoot, root, [...touched]) } };
}

function unifiedDiff(repoRoot: string, patchedRoot: string, files: readonly string[]): string {
  const parts: string[] = [];
  for (const file of files) {
    const original = join(repoRoot, file);
    const patched = join(patchedRoot, file);
    if (!existsSync(original)) continue;
    try {
      execFileSync('git', ['diff', '--no-index', '--no-color', '--', original, patched], { encoding: 'utf8' });
    } catch (error) {
      // git diff exits 1 when the files differ; the diff is on stdout.
      const stdout = (error as { stdout?: string }).stdout ?? '';
      parts.push(
        stdout
          .replaceAll(`a${original}`, `a/${file}`)
          .replaceAll(`b${patched}`, `b/${file}`)
          .replace(/^diff --git .*$/m, `diff --git a/${file} b/${file}`)
          .replace(/^index .*\n/m, ''),
      );
    }
  }
  return parts.join('');
}
