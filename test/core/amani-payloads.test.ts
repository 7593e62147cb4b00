import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  AMANI_PAYLOAD_SCHEMAS,
  normalizeProfileStatus,
  PROFILE_STATUSES,
  profileStatusSpellings,
  titleCaseStatus,
} from '../../lambda/core/amani-payloads';
import { samplePayload } from '../../local/amani-sender';

describe('profile statuses', () => {
  it('have the title-case spelling some of Amani answers show', () => {
    expect(titleCaseStatus('PENDING_REVIEW')).toBe('Pending Review');
    expect(titleCaseStatus('APPROVED')).toBe('Approved');
    expect(PROFILE_STATUSES.map(titleCaseStatus)).toContain('Pending Upload');
  });

  it('normalise from either spelling, and only known ones', () => {
    for (const status of PROFILE_STATUSES) {
      expect(normalizeProfileStatus(status)).toBe(status);
      expect(normalizeProfileStatus(titleCaseStatus(status))).toBe(status);
      expect(profileStatusSpellings(titleCaseStatus(status))).toEqual([status, titleCaseStatus(status)]);
    }
    expect(normalizeProfileStatus('SOMETHING_NEW')).toBeUndefined();
    expect(profileStatusSpellings('SOMETHING_NEW')).toEqual(['SOMETHING_NEW']);
  });
});

describe('payload schemas', () => {
  it("accept the simulator's payload of every event, whatever the seed", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(AMANI_PAYLOAD_SCHEMAS) as (keyof typeof AMANI_PAYLOAD_SCHEMAS)[])),
        fc.nat(),
        (event, seed) => {
          expect(AMANI_PAYLOAD_SCHEMAS[event].safeParse(samplePayload(event, seed)).success).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('promise no field: an empty object is a valid payload of every event', () => {
    for (const schema of Object.values(AMANI_PAYLOAD_SCHEMAS)) expect(schema.safeParse({}).success).toBe(true);
  });

  it('refuse a known field of the wrong type', () => {
    expect(AMANI_PAYLOAD_SCHEMAS.profile_update.safeParse({ profile: { status: 7 } }).success).toBe(false);
    expect(AMANI_PAYLOAD_SCHEMAS.document_upload.safeParse({ document: 'ID' }).success).toBe(false);
  });
});
