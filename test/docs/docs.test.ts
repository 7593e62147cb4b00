/**
 * The docs say what the code does: every JSON example parses, every EventBridge rule pattern in
 * them is valid and matches exactly the events it is meant to among those the local mode really
 * puts on its bus (and the same for the consumer package's helper), and the metric lists name
 * exactly the metrics the functions emit.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { prepareDelivery, samplePayload, sendDelivery } from '../../local/amani-sender';
import type { BusEvent } from '../../local/aws-emulator';
import { startLocalStack, type LocalStack } from '../../local/local-stack';
import { normalizeProfileStatus } from '../../lambda/core/amani-payloads';
import { METADATA_FIELDS } from '../../lambda/core/event-contract';
import { eventPatternProblems, matchesEventPattern as matchesPattern, type EventPattern } from '../../packages/consumer/src/event-pattern';
import { amaniEventPattern } from '../../packages/consumer/src/patterns';
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
/** What the local mode published, and a copy of each from another source (which no documented rule may match). */
let corpus: readonly BusEvent[];

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'amani-docs-')), fresh: true });
  const token = stack.amani.currentToken()!;
  // Every Amani event with an approved profile (seed 1 gives APPROVED), each status change in both
  // spellings, and a body that names no event.
  const payloads: Record<string, unknown>[] = AMANI_EVENTS.map((event) => samplePayload(event, 1));
  for (const status of ['Approved', 'PENDING_REVIEW', 'Pending Review', 'REJECTED', 'Rejected']) {
    const change = samplePayload('profile_status_change', 1);
    payloads.push({ ...change, profile: { ...(change.profile as object), status } });
  }
  const { event: _unnamed, ...nameless } = samplePayload('profile_update', 2);
  payloads.push(nameless);
  for (const payload of payloads) {
    const answer = await sendDelivery(stack.runtime.receiverUrl, prepareDelivery({ payload, token, authMode: 'signature' }));
    expect(answer.status).toBe(200);
  }
  const published = stack.emulator.events();
  expect(published).toHaveLength(payloads.length);
  // Also copies from another source (no documented rule may match them) and replayed copies
  // (EventBridge adds replay-name to an event it replays from the archive).
  corpus = [
    ...published,
    ...published.map((event) => ({ ...event, source: 'not-amani' })),
    ...published.map((event) => ({ ...event, 'replay-name': 'amani-webhooks-local-docs' })),
  ];
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
    '%s: the rule pattern is valid and matches exactly the events it should among those the local mode publishes',
    (_where, example) => {
      const pattern = JSON.parse(example.source) as unknown;
      expect(isRulePattern(pattern)).toBe(true);
      expect(eventPatternProblems(pattern)).toEqual([]);
      const should = shouldMatch(pattern as EventPattern);
      const matched = corpus.filter((event) => matchesPattern(pattern as EventPattern, event));
      expect(matched.length).toBeGreaterThan(0);
      expect(matched.map(label)).toEqual(corpus.filter(should).map(label));
    },
  );

  it("the documented status rule is the consumer package's helper output", () => {
    const documented = examples
      .filter((e) => e.file === 'docs/event-contract.md' && isRulePatternText(e.source))
      .map((e) => JSON.parse(e.source) as unknown);
    expect(documented).toContainEqual(amaniEventPattern({ events: ['profile_status_change'], statuses: ['APPROVED'] }));
  });

  it("the helper's patterns match exactly the events they should, for every event and status", () => {
    for (const detailType of [...AMANI_EVENTS, 'webhook']) {
      for (const statuses of [undefined, ['APPROVED'], ['Pending Review', 'REJECTED']] as const) {
        const pattern = amaniEventPattern({ events: [detailType], ...(statuses ? { statuses } : {}) });
        const wanted = statuses?.map((s) => normalizeProfileStatus(s));
        const should = (event: BusEvent) =>
          event.source === 'amani' &&
          event['detail-type'] === detailType &&
          (wanted === undefined || wanted.includes(normalizeProfileStatus(String(profileOf(event)?.status ?? ''))));
        expect({
          detailType,
          statuses,
          matched: corpus.filter((e) => matchesPattern(pattern as unknown as EventPattern, e)).map(label),
        }).toEqual({
          detailType,
          statuses,
          matched: corpus.filter(should).map(label),
        });
      }
    }
  });

  it('the matcher tells a wrong pattern from a right one', () => {
    const statusAtTop = {
      source: ['amani'],
      'detail-type': ['profile_status_change'],
      detail: { data: { status: ['APPROVED', 'Approved'] } },
    };
    expect(corpus.some((event) => matchesPattern(statusAtTop, event))).toBe(false);
    expect(corpus.some((event) => matchesPattern({ source: ['elsewhere'] }, event))).toBe(false);
  });

  it('the metadata table of event-contract.md lists exactly the declared fields, "yes" for those always present', () => {
    const section = text('docs/event-contract.md').split('## `detail.metadata`')[1]!.split('\n## ')[0]!;
    const rows = [...section.matchAll(/^\| `([A-Za-z0-9]+)` +\| ([^|]+?) +\|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
    expect(rows.map(([field]) => field).sort()).toEqual(Object.keys(METADATA_FIELDS).sort());
    const always = Object.entries(METADATA_FIELDS)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([field]) => field);
    expect(
      rows
        .filter(([, presence]) => presence === 'yes')
        .map(([field]) => field)
        .sort(),
    ).toEqual(always.sort());
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

const label = (event: BusEvent) =>
  `${event.source}/${event['detail-type']}/${String(profileOf(event)?.status ?? '-')}/${(event.detail as { metadata: { deliveryId: string } }).metadata.deliveryId.slice(0, 8)}`;

function profileOf(event: BusEvent): { status?: unknown } | undefined {
  return (event.detail as { data?: { profile?: { status?: unknown } } }).data?.profile;
}

/**
 * The events a documented rule pattern is meant to select, written independently of the
 * matcher: a rule naming sources and detail-types selects exactly those; any other documented
 * pattern needs its meaning spelled out here.
 */
function shouldMatch(pattern: EventPattern): (event: BusEvent) => boolean {
  const json = JSON.stringify(pattern);
  const literal = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string');
  const keys = Object.keys(pattern).sort().join(',');
  if (
    (keys === 'detail-type,source' || keys === 'source') &&
    literal(pattern.source) &&
    (!pattern['detail-type'] || literal(pattern['detail-type']))
  )
    return (event) =>
      (pattern.source as string[]).includes(event.source) &&
      (pattern['detail-type'] === undefined || (pattern['detail-type'] as string[]).includes(event['detail-type']));
  const meanings: Record<string, (event: BusEvent) => boolean> = {
    // Profile status changes to APPROVED, in either spelling.
    [JSON.stringify({
      source: ['amani'],
      'detail-type': ['profile_status_change'],
      detail: { data: { profile: { status: ['APPROVED', 'Approved'] } } },
    })]: (event) =>
      event.source === 'amani' &&
      event['detail-type'] === 'profile_status_change' &&
      normalizeProfileStatus(String(profileOf(event)?.status)) === 'APPROVED',
    // Every document event.
    [JSON.stringify({ source: ['amani'], 'detail-type': [{ prefix: 'document_' }] })]: (event) =>
      event.source === 'amani' && event['detail-type'].startsWith('document_'),
    // Every event of the product except replays from the archive.
    [JSON.stringify({ source: ['amani'], 'replay-name': [{ exists: false }] })]: (event) =>
      event.source === 'amani' && !('replay-name' in event),
  };
  const meaning = meanings[json];
  if (!meaning) throw new Error(`the docs show a rule pattern whose meaning the test does not know yet: add it to shouldMatch: ${json}`);
  return meaning;
}

function isRulePatternText(source: string): boolean {
  try {
    return isRulePattern(JSON.parse(source));
  } catch {
    return /^\{\s*"source"/.test(source.trim());
  }
}
