/**
 * The docs say what the code does: every JSON example parses, every EventBridge rule pattern in
 * them matches an event the local mode really puts on its bus (and the matcher tells a wrong
 * pattern from a right one), and the metric lists name exactly the metrics the functions emit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import type { BusEvent } from '../../local/aws-emulator';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { matchesEventPattern as matchesPattern, type EventPattern } from '../../packages/consumer/src/event-pattern';
import { FAILURE_METRIC, OUTCOME_METRICS } from '../../lambda/registration/handler';

const REPO = resolve(__dirname, '../..');
const DOCS = [
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'README.md',
];
const text = (file: string) => readFileSync(join(REPO, file), 'utf8');

interface Example {
  readonly file: string;
  readonly line: number;
  readonly source: string;
}

/** ```json blocks, and inline `{"source"...}` / `{"action"...}` spans (rule patterns, invocation payloads). */
function jsonExamples(): Example[] {
  const examples: Example[] = [];
  for (const file of DOCS) {
    const content = text(file);
    const lineOf = (index: number) => content.slice(0, index).split('\n').length;
    for (const block of content.matchAll(/^( *)```json\n([\s\S]*?)^\1```/gm))
      examples.push({ file, line: lineOf(block.index!), source: block[2]! });
    for (const span of content.matchAll(/`(\{"(?:source|action)"[^`]*\})`/g))
      examples.push({ file, line: lineOf(span.index!), source: span[1]! });
  }
  return examples;
}

function isRulePattern(value: unknown): value is EventPattern {
  const leavesAreArrays = (node: unknown): boolean =>
    Array.isArray(node) || (typeof node === 'object' && node !== null && Object.values(node).every(leavesAreArrays));
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'source' in value && leavesAreArrays(value);
}

let stack: LocalStack;
let events: readonly BusEvent[];

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'amani-docs-')), fresh: true });
  const token = stack.amani.currentToken()!;
  // Every Amani event, with both spellings of an approved profile (seed 1 gives APPROVED), and a
  // body that names no event.
  const payloads: Record<string, unknown>[] = AMANI_EVENTS.map((event) => samplePayload(event, 1));
  const titleCase = samplePayload('profile_status_change', 1);
  payloads.push({ ...titleCase, profile: { ...(titleCase.profile as object), status: 'Approved' } });
  const { event: _unnamed, ...nameless } = samplePayload('profile_update', 2);
  payloads.push(nameless);
  for (const payload of payloads) {
    const answer = await sendDelivery(stack.runtime.receiverUrl, prepareDelivery({ payload, token, authMode: 'signature' }));
    expect(answer.status).toBe(200);
  }
  events = stack.emulator.events();
});
afterAll(() => stack.close());

describe('docs', () => {
  const examples = jsonExamples();

  it('have JSON examples to check (the extraction works)', () => {
    expect(examples.filter((e) => e.file === 'docs/event-contract.md').length).toBeGreaterThanOrEqual(3);
    expect(examples.filter((e) => isRulePatternText(e.source)).length).toBeGreaterThanOrEqual(13);
  });

  it.each(examples.map((e) => [`${e.file}:${e.line}`, e] as const))('%s: the JSON example parses', (_where, example) => {
    expect(() => JSON.parse(example.source)).not.toThrow();
  });

  it.each(examples.filter((e) => isRulePatternText(e.source)).map((e) => [`${e.file}:${e.line}`, e] as const))(
    '%s: the rule pattern matches an event the local mode publishes',
    (_where, example) => {
      const pattern = JSON.parse(example.source) as unknown;
      expect(isRulePattern(pattern)).toBe(true);
      expect(events.filter((event) => matchesPattern(pattern as EventPattern, event)).length).toBeGreaterThan(0);
    },
  );

  it('the matcher tells a wrong pattern from a right one', () => {
    const statusAtTop = {
      source: ['amani'],
      'detail-type': ['profile_status_change'],
      detail: { data: { status: ['APPROVED', 'Approved'] } },
    };
    const statusInProfile = {
      source: ['amani'],
      'detail-type': ['profile_status_change'],
      detail: { data: { profile: { status: ['APPROVED', 'Approved'] } } },
    };
    expect(events.some((event) => matchesPattern(statusAtTop, event))).toBe(false);
    expect(events.filter((event) => matchesPattern(statusInProfile, event))).toHaveLength(2);
    expect(events.filter((event) => matchesPattern({ source: ['amani'], 'detail-type': [{ prefix: 'document_' }] }, event))).toHaveLength(
      4,
    );
    expect(events.some((event) => matchesPattern({ source: ['not-amani'] }, event))).toBe(false);
  });

  it('the metric lists name exactly the metrics the functions emit', () => {
    const emitted = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(REPO, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts')) for (const m of text(path).matchAll(/addMetric\('([A-Za-z]+)'/g)) emitted.add(m[1]!);
      }
    };
    walk('lambda');
    // The registration names its metrics in a table (one per outcome) rather than at the call.
    for (const name of [...Object.values(OUTCOME_METRICS), FAILURE_METRIC]) emitted.add(name);
    expect(emitted.size).toBeGreaterThanOrEqual(20);
    const architecture = text('docs/architecture.md').split('## Metrics')[1] ?? '';
    const readme = text('README.md').split('### Metrics')[1]?.split('\n## ')[0] ?? '';
    for (const [where, section] of [
      ['docs/architecture.md', architecture],
      ['README.md', readme],
    ] as const) {
      const named = new Set(
        [...section.matchAll(/`([A-Z][A-Za-z]+)`/g)]
          .map((m) => m[1]!)
          .filter((name) => emitted.has(name) || /^[A-Z][a-z]+[A-Z]/.test(name)),
      );
      expect({ where, missing: [...emitted].filter((name) => !named.has(name)).sort() }).toEqual({ where, missing: [] });
      expect({ where, unknown: [...named].filter((name) => !emitted.has(name) && !ALARM_NAMES.has(name)).sort() }).toEqual({
        where,
        unknown: [],
      });
    }
  });
});

/** Alarm names the metric sections mention next to the metrics that feed them. */
const ALARM_NAMES = new Set(['NoDeliveries']);

function isRulePatternText(source: string): boolean {
  try {
    return isRulePattern(JSON.parse(source));
  } catch {
    return /^\{\s*"source"/.test(source.trim());
  }
}
