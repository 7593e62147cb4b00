/**
 * amaniEventPattern: valid patterns, both status spellings, and (property) a pattern matches
 * exactly the events its options describe, judged by an independent predicate.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AMANI_EVENTS } from '../../../lambda/core/amani-events';
import { PROFILE_STATUSES, titleCaseStatus } from '../../../lambda/core/amani-payloads';
import { eventPatternProblems, matchesEventPattern, type EventPattern } from '../../../packages/consumer/src/event-pattern';
import { amaniEventPattern, toCdkEventPattern } from '../../../packages/consumer/src/patterns';

const DETAIL_TYPES = [...AMANI_EVENTS, 'webhook'];

function busEvent(source: string, detailType: string, status: unknown): Record<string, unknown> {
  const profile = status === undefined ? {} : { profile: { id: 'p-1', status } };
  return {
    version: '0',
    id: 'e',
    source,
    'detail-type': detailType,
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: { metadata: { deliveryId: 'd' }, data: { event: detailType, ...profile } },
  };
}

describe('amaniEventPattern', () => {
  it('builds the documented patterns', () => {
    expect(amaniEventPattern()).toEqual({ source: ['amani'] });
    expect(amaniEventPattern({ events: ['profile_status_change'], statuses: ['APPROVED'] })).toEqual({
      source: ['amani'],
      'detail-type': ['profile_status_change'],
      detail: { data: { profile: { status: ['APPROVED', 'Approved'] } } },
    });
    expect(amaniEventPattern({ source: 'kyc.amani', statuses: ['Pending Review', 'PENDING_REVIEW', 'SOMETHING_NEW'] })).toEqual({
      source: ['kyc.amani'],
      detail: { data: { profile: { status: ['PENDING_REVIEW', 'Pending Review', 'SOMETHING_NEW'] } } },
    });
  });

  it('refuses what would make an invalid or surprising pattern', () => {
    expect(() => amaniEventPattern({ events: [] })).toThrow(/at least one entry/);
    expect(() => amaniEventPattern({ statuses: [] })).toThrow(/at least one entry/);
    expect(() => amaniEventPattern({ events: ['profile status'] })).toThrow(/is not an event name/);
    expect(() => amaniEventPattern({ statuses: [' '] })).toThrow(/non-empty status/);
    expect(() => amaniEventPattern({ source: 'aws.events' })).toThrow(/source/);
    expect(() => amaniEventPattern({ source: '' })).toThrow(/source/);
  });

  it('gives CDK the same pattern under its own key names', () => {
    const pattern = amaniEventPattern({ events: ['document_upload'] });
    expect(toCdkEventPattern(pattern)).toEqual({ source: ['amani'], detailType: ['document_upload'] });
    expect(toCdkEventPattern(amaniEventPattern())).toEqual({ source: ['amani'] });
  });

  it('matches exactly the events its options describe, in either status spelling (property)', () => {
    const spelling = fc.constantFrom(...PROFILE_STATUSES).chain((s) => fc.constantFrom(s, titleCaseStatus(s)));
    const options = fc.record(
      {
        source: fc.constantFrom('amani', 'kyc'),
        events: fc.uniqueArray(fc.constantFrom(...DETAIL_TYPES), { minLength: 1, maxLength: 4 }),
        statuses: fc.uniqueArray(spelling, { minLength: 1, maxLength: 3 }),
      },
      { requiredKeys: [] },
    );
    const events = fc.array(
      fc.tuple(fc.constantFrom('amani', 'kyc'), fc.constantFrom(...DETAIL_TYPES), fc.option(spelling, { nil: undefined })),
      { minLength: 1, maxLength: 12 },
    );
    const normal = (status: string) => status.toUpperCase().replace(/ /g, '_');
    fc.assert(
      fc.property(options, events, (chosen, cases) => {
        const pattern = amaniEventPattern(chosen);
        expect(eventPatternProblems(pattern)).toEqual([]);
        for (const [source, detailType, status] of cases) {
          const expected =
            source === (chosen.source ?? 'amani') &&
            (chosen.events === undefined || chosen.events.includes(detailType)) &&
            (chosen.statuses === undefined || (status !== undefined && chosen.statuses.map(normal).includes(normal(status))));
          expect(matchesEventPattern(pattern as unknown as EventPattern, busEvent(source, detailType, status))).toBe(expected);
        }
      }),
      { numRuns: 500 },
    );
  });
});
