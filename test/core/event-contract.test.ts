import { describe, expect, it } from '@jest/globals';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { CONTRACT_REGISTRY } from '../../lambda/core/amani-payloads';
import { deliveryMetadata } from '../../lambda/core/delivery-event';
import {
  AMANI_EVENT_SCHEMAS,
  deliveryMetadataSchema,
  EVENT_CONTRACT_VERSION,
  METADATA_FIELDS,
  publishedMetadataSchema,
} from '../../lambda/core/event-contract';

const metadata = {
  deliveryId: 'dlv-1',
  receivedAt: '2026-11-30T10:00:00.123Z',
  authMode: 'signature',
  signatureForm: 'python-json',
  tokenGeneration: 'previous',
  bodySha256: 'f'.repeat(64),
} as const;

describe('the event contract', () => {
  it('has one event schema per Amani event and for a body naming none, each for its own detail-type', () => {
    expect(Object.keys(AMANI_EVENT_SCHEMAS).sort()).toEqual([...AMANI_EVENTS, 'webhook'].sort());
    for (const [detailType, schema] of Object.entries(AMANI_EVENT_SCHEMAS)) expect(schema.shape['detail-type'].value).toBe(detailType);
  });

  it('the receiver stamps every metadata with the contract version, first', () => {
    const stamped = deliveryMetadata(metadata);
    expect(EVENT_CONTRACT_VERSION).toBe('1');
    expect(Object.keys(stamped)[0]).toBe('version');
    expect(publishedMetadataSchema.parse(stamped)).toEqual({ version: '1', ...metadata });
  });

  it('what the receiver writes holds the declared fields and no other', () => {
    expect(publishedMetadataSchema.safeParse({ ...deliveryMetadata(metadata), undeclared: 1 }).success).toBe(false);
    expect(publishedMetadataSchema.safeParse({ ...metadata }).success).toBe(false);
    expect(publishedMetadataSchema.safeParse({ ...deliveryMetadata(metadata), dedup: 'unchecked' }).success).toBe(true);
    expect(publishedMetadataSchema.safeParse({ ...deliveryMetadata(metadata), deliveryId: 'has spaces' }).success).toBe(false);
    expect(publishedMetadataSchema.safeParse({ ...deliveryMetadata(metadata), receivedAt: 'yesterday' }).success).toBe(false);
  });

  it('a consumer reads fields added later, and a metadata without version as version 1', () => {
    const read = deliveryMetadataSchema.parse({ ...metadata, addedLater: { x: 1 } });
    expect(read).toMatchObject({ version: '1', addedLater: { x: 1 } });
    expect(deliveryMetadataSchema.safeParse({ ...metadata, version: '2' }).success).toBe(false);
  });

  it('every metadata field carries its meaning', () => {
    for (const [name, schema] of Object.entries(METADATA_FIELDS)) {
      const inner = 'unwrap' in schema ? schema.unwrap() : schema;
      expect({ name, meaning: (CONTRACT_REGISTRY.get(inner)?.description ?? '').length > 20 }).toEqual({ name, meaning: true });
    }
  });
});
