/**
 * The matcher against EventBridge's documented semantics (user guide: "Event patterns",
 * "Content filtering", "Matching null values and empty strings"), one behaviour per case, and
 * the validation PutRule would do.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { eventPatternProblems, matchesEventPattern, type EventPattern } from '../../../packages/consumer/src/event-pattern';

const event = {
  version: '0',
  id: 'e-1',
  'detail-type': 'profile_status_change',
  source: 'amani',
  account: '123456789012',
  time: '2026-11-30T10:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    metadata: { deliveryId: 'd-1', authMode: 'signature', signatureForm: 'raw', empty: '', nothing: null, score: 42.5 },
    data: {
      profile: { status: 'APPROVED', level: 2, tags: ['vip', 'eu'] },
      documents: [
        { type: 'ID', status: 'APPROVED' },
        { type: 'PA', status: 'REJECTED' },
      ],
    },
  },
};
const matches = (pattern: EventPattern) => matchesEventPattern(pattern, event);

describe('matchesEventPattern', () => {
  it('ANDs keys, ORs the values of a leaf, and descends into objects', () => {
    expect(matches({ source: ['amani'], 'detail-type': ['profile_status_change'] })).toBe(true);
    expect(matches({ source: ['amani'], 'detail-type': ['profile_update'] })).toBe(false);
    expect(matches({ source: ['other', 'amani'] })).toBe(true);
    expect(matches({ detail: { data: { profile: { status: ['APPROVED'] } } } })).toBe(true);
    expect(matches({ detail: { data: { status: ['APPROVED'] } } })).toBe(false);
  });

  it('matches exactly: case, type and null versus empty string count', () => {
    expect(matches({ source: ['Amani'] })).toBe(false);
    expect(matches({ detail: { data: { profile: { level: [2] } } } })).toBe(true);
    expect(matches({ detail: { data: { profile: { level: ['2'] } } } })).toBe(false);
    expect(matches({ detail: { metadata: { empty: [''] } } })).toBe(true);
    expect(matches({ detail: { metadata: { empty: [null] } } })).toBe(false);
    expect(matches({ detail: { metadata: { nothing: [null] } } })).toBe(true);
    expect(matches({ detail: { metadata: { nothing: [''] } } })).toBe(false);
    expect(matches({ detail: { metadata: { missing: [null] } } })).toBe(false);
  });

  it('an array in the event matches when any element does, for values and for objects', () => {
    expect(matches({ detail: { data: { profile: { tags: ['eu'] } } } })).toBe(true);
    expect(matches({ detail: { data: { documents: { type: ['PA'] } } } })).toBe(true);
    expect(matches({ detail: { data: { documents: { type: ['DL'] } } } })).toBe(false);
  });

  it('prefix, suffix, equals-ignore-case and wildcard work on strings only', () => {
    expect(matches({ 'detail-type': [{ prefix: 'profile_' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ prefix: 'document_' }] })).toBe(false);
    expect(matches({ 'detail-type': [{ suffix: '_change' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ prefix: { 'equals-ignore-case': 'PROFILE_' } }] })).toBe(true);
    expect(matches({ 'detail-type': [{ suffix: { 'equals-ignore-case': '_CHANGE' } }] })).toBe(true);
    expect(matches({ source: [{ 'equals-ignore-case': 'AMANI' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ wildcard: 'profile_*_change' }] })).toBe(true);
    expect(matches({ 'detail-type': [{ wildcard: 'profile.*' }] })).toBe(false);
    expect(matches({ detail: { data: { profile: { level: [{ prefix: '2' }] } } } })).toBe(false);
  });

  it('anything-but excludes a value, a list, or a prefix/suffix/wildcard, and needs the field', () => {
    expect(matches({ source: [{ 'anything-but': 'other' }] })).toBe(true);
    expect(matches({ source: [{ 'anything-but': ['amani', 'other'] }] })).toBe(false);
    expect(matches({ 'detail-type': [{ 'anything-but': { prefix: 'profile_' } }] })).toBe(false);
    expect(matches({ 'detail-type': [{ 'anything-but': { suffix: '_update' } }] })).toBe(true);
    expect(matches({ 'detail-type': [{ 'anything-but': { wildcard: '*status*' } }] })).toBe(false);
    expect(matches({ detail: { metadata: { missing: [{ 'anything-but': 'x' }] } } })).toBe(false);
  });

  it('exists is about leaf values: an object is not one', () => {
    expect(matches({ detail: { metadata: { signatureForm: [{ exists: true }] } } })).toBe(true);
    expect(matches({ detail: { metadata: { dedup: [{ exists: false }] } } })).toBe(true);
    expect(matches({ detail: { metadata: { dedup: [{ exists: true }] } } })).toBe(false);
    expect(matches({ detail: { data: { profile: [{ exists: true }] } } })).toBe(false);
    expect(matches({ detail: { metadata: { dedup: ['unchecked', { exists: false }] } } })).toBe(true);
  });

  it('numeric compares numbers within the bounds given', () => {
    expect(matches({ detail: { metadata: { score: [{ numeric: ['>', 40, '<=', 42.5] }] } } })).toBe(true);
    expect(matches({ detail: { metadata: { score: [{ numeric: ['=', 42.5] }] } } })).toBe(true);
    expect(matches({ detail: { metadata: { score: [{ numeric: ['<', 42.5] }] } } })).toBe(false);
    expect(matches({ detail: { metadata: { deliveryId: [{ numeric: ['>', 0] }] } } })).toBe(false);
  });

  it('$or needs one of its patterns', () => {
    expect(
      matches({ source: ['amani'], $or: [{ 'detail-type': ['x'] }, { detail: { data: { profile: { status: ['APPROVED'] } } } }] }),
    ).toBe(true);
    expect(matches({ $or: [{ 'detail-type': ['x'] }, { source: ['y'] }] })).toBe(false);
  });

  it('refuses what EventBridge refuses, and operators it does not implement, instead of guessing', () => {
    expect(() => matchesEventPattern({ source: [] }, event)).toThrow(/must not be an empty array/);
    expect(() => matchesEventPattern({ source: 'amani' } as unknown as EventPattern, event)).toThrow(/must be an array/);
    expect(() => matchesEventPattern({}, event)).toThrow(/non-empty object/);
    expect(() => matchesEventPattern({ source: [{ prefix: 'a', suffix: 'b' }] }, event)).toThrow(/one operator per matcher/);
    expect(() => matchesEventPattern({ source: [{ cidr: '10.0.0.0/24' }] }, event)).toThrow(/"cidr" is not implemented/);
    expect(() => matchesEventPattern({ score: [{ numeric: ['~', 1] }] }, event)).toThrow(/numeric comparison/);
    expect(() => matchesEventPattern({ $or: [{ source: ['a'] }] }, event)).toThrow(/at least two patterns/);
    expect(eventPatternProblems({ source: ['amani'], detail: { data: { profile: { status: ['APPROVED'] } } } })).toEqual([]);
  });

  it('a literal pattern built from an event matches that event, and no longer when one value changes', () => {
    const scalar = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), scalar, { minKeys: 1, maxKeys: 5 }), (fields) => {
        const pattern = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, [v]]));
        expect(matchesEventPattern({ detail: pattern }, { detail: fields })).toBe(true);
        const [key, value] = Object.entries(fields)[0]!;
        const changed = { ...fields, [key]: typeof value === 'string' ? `${value}!` : String(value) };
        expect(matchesEventPattern({ detail: pattern }, { detail: changed })).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
