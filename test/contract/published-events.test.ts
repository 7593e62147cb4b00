/**
 * The contract check itself (published-events.ts, run after every test file): it accepts what the
 * receiver builds and tells an off-contract entry apart, naming the detail-type and the path.
 */
import { describe, expect, it } from '@jest/globals';
import { buildBusEntry, deliveryMetadata } from '../../lambda/core/delivery-event';
import { eventOfEntry, publishedSchemaProblems } from '../helpers/published-schema';

const entry = (detailType: string, metadata: Record<string, unknown> = {}, data = '{"event":"x","profile":{"status":"APPROVED"}}') =>
  buildBusEntry({
    source: 'amani',
    eventBusName: 'bus',
    detailType,
    bodyJson: data,
    metadata: {
      ...deliveryMetadata({
        deliveryId: 'dlv-1',
        receivedAt: '2026-11-30T10:00:00.000Z',
        authMode: 'signature',
        signatureForm: 'raw',
        tokenGeneration: 'current',
        bodySha256: 'a'.repeat(64),
      }),
      ...metadata,
    } as ReturnType<typeof deliveryMetadata>,
  });

describe('the published-schema check', () => {
  it('accepts the entries the receiver builds, for a known detail-type and for one Amani has not documented', () => {
    expect(publishedSchemaProblems(eventOfEntry(entry('profile_status_change')))).toEqual([]);
    expect(publishedSchemaProblems(eventOfEntry(entry('profile_archived')))).toEqual([]);
  });

  it('names the detail-type and the path of what is off-contract', () => {
    expect(publishedSchemaProblems(eventOfEntry(entry('profile_status_change', { tokenGeneration: 'old' })))).toEqual([
      expect.stringMatching(/^profile_status_change \/detail\/metadata\/tokenGeneration /),
    ]);
    expect(publishedSchemaProblems(eventOfEntry(entry('document_upload', { receivedAt: 'yesterday' })))).toEqual([
      expect.stringMatching(/^document_upload \/detail\/metadata\/receivedAt must match format "date-time"/),
    ]);
    expect(publishedSchemaProblems(eventOfEntry(entry('profile_update', {}, '{"profile":{"status":7}}')))).toEqual([
      expect.stringMatching(/^profile_update \/detail\/data\/profile\/status must be string/),
    ]);
    expect(publishedSchemaProblems(eventOfEntry(entry('profile_archived', { version: '2' })))).toEqual([
      expect.stringMatching(/^profile_archived \/metadata\/version/),
    ]);
  });
});
