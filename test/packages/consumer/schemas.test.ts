/**
 * The committed OpenAPI documents (what the stack publishes to its Schema Registry) are what the
 * event contract generates today, and are sound: one per detail-type, EventBridge's AWSEvent
 * root with its source and detail-type markers, every reference resolving, compilable by a JSON
 * Schema validator, open to unknown fields.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { AMANI_EVENTS } from '../../../lambda/core/amani-events';
import { METADATA_FIELDS } from '../../../lambda/core/event-contract';
import {
  documentText,
  generateSchemaDocuments,
  schemaName,
  SCHEMAS_DIR,
  withEventSource,
} from '../../../packages/consumer/scripts/schemas';

const generated = generateSchemaDocuments();

describe('the committed schemas', () => {
  it('are up to date with the event contract (run `npm run schemas` after changing it)', () => {
    const committed = readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.json'));
    expect(committed.sort()).toEqual(
      Object.keys(generated)
        .map((t) => `${t}.json`)
        .sort(),
    );
    for (const [detailType, document] of Object.entries(generated))
      expect({ detailType, text: readFileSync(join(SCHEMAS_DIR, `${detailType}.json`), 'utf8') }).toEqual({
        detailType,
        text: documentText(document),
      });
  });

  it('cover every Amani event and the webhook detail-type, each marked as EventBridge marks its own', () => {
    expect(Object.keys(generated).sort()).toEqual([...AMANI_EVENTS, 'webhook'].sort());
    for (const [detailType, document] of Object.entries(generated)) {
      const root = (document.components as any).schemas.AWSEvent;
      expect(root['x-amazon-events-detail-type']).toBe(detailType);
      expect(root['x-amazon-events-source']).toBe('amani');
      expect(root.properties['detail-type'].enum).toEqual([detailType]);
      expect(document.openapi).toBe('3.0.0');
    }
  });

  it('resolve every reference, compile, and stay open to unknown fields', () => {
    for (const document of Object.values(generated)) {
      const text = JSON.stringify(document);
      const schemas = (document.components as any).schemas as Record<string, any>;
      for (const [, ref] of text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(Object.keys(schemas)).toContain(ref);
      for (const schema of Object.values(schemas)) if (schema.type === 'object') expect(schema.additionalProperties).toEqual({});
      const ajv = new Ajv({ strict: false, validateFormats: false });
      ajv.addSchema(document, 'doc');
      expect(typeof ajv.getSchema('doc#/components/schemas/AWSEvent')).toBe('function');
    }
  });

  it('describe every metadata field, and require exactly the ones always present', () => {
    const metadata = (generated.profile_create.components as any).schemas.AmaniDeliveryMetadata;
    expect(Object.keys(metadata.properties).sort()).toEqual(Object.keys(METADATA_FIELDS).sort());
    for (const field of Object.values(metadata.properties) as Array<{ description?: string }>)
      expect(field.description?.length).toBeGreaterThan(10);
    expect(metadata.required.sort()).toEqual(['authMode', 'bodySha256', 'deliveryId', 'receivedAt', 'tokenGeneration']);
  });

  it('name schemas as AWS names its own, and carry another event source when the stack has one', () => {
    expect(schemaName('amani', 'profile_status_change')).toBe('amani@ProfileStatusChange');
    expect(schemaName('kyc.amani', 'webhook')).toBe('kyc.amani@Webhook');
    const custom = withEventSource(generated.document_upload, 'kyc.amani') as any;
    expect(custom.components.schemas.AWSEvent['x-amazon-events-source']).toBe('kyc.amani');
    expect((generated.document_upload.components as any).schemas.AWSEvent['x-amazon-events-source']).toBe('amani');
  });
});
