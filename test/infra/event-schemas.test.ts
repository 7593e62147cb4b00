/**
 * The stack publishes the event contract: a Schema Registry per stage with one OpenAPI 3 schema
 * per detail-type, each exactly the generated document (with the stack's event source), and the
 * registry's name as an output the consumers read.
 */
import { describe, expect, it } from '@jest/globals';
import { AMANI_EVENTS } from '../../lambda/core/amani-events';
import { generateSchemaDocuments, schemaName, withEventSource } from '../../packages/consumer/scripts/schemas';
import { resources, synthesize } from './stack-harness';

type Resource = { Type: string; Properties: Record<string, any> };

function schemaResources(context: Record<string, unknown>) {
  const { template } = synthesize(context);
  const all = Object.values(resources(template)) as Resource[];
  return {
    template,
    registries: all.filter((r) => r.Type === 'AWS::EventSchemas::Registry'),
    schemas: all.filter((r) => r.Type === 'AWS::EventSchemas::Schema'),
  };
}

describe('event schemas', () => {
  it('one registry per stage, one OpenAPI 3 schema per detail-type, each the generated document', () => {
    const { template, registries, schemas } = schemaResources({ stage: 'qa' });
    expect(registries).toHaveLength(1);
    expect(registries[0]!.Properties.RegistryName).toBe('amani-webhooks-qa');
    const generated = generateSchemaDocuments();
    expect(schemas.map((s) => s.Properties.SchemaName).sort()).toEqual(
      [...AMANI_EVENTS, 'webhook'].map((t) => schemaName('amani', t)).sort(),
    );
    for (const [detailType, document] of Object.entries(generated)) {
      const schema = schemas.find((s) => s.Properties.SchemaName === schemaName('amani', detailType))!;
      expect(schema.Properties.Type).toBe('OpenApi3');
      expect(schema.Properties.RegistryName).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EventSchemasRegistry/), 'RegistryName'] });
      expect(JSON.parse(schema.Properties.Content)).toEqual(document);
    }
    expect(template.toJSON().Outputs.SchemaRegistryName.Value).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^EventSchemasRegistry/), 'RegistryName'],
    });
    expect(template.toJSON().Outputs.EventSource.Value).toBe('amani');
  });

  it("carries the stack's event source in the names and in each schema's source marker", () => {
    const { schemas, template } = schemaResources({ eventSource: 'kyc.amani' });
    const generated = generateSchemaDocuments();
    const statusChange = schemas.find((s) => s.Properties.SchemaName === 'kyc.amani@ProfileStatusChange')!;
    expect(JSON.parse(statusChange.Properties.Content)).toEqual(withEventSource(generated.profile_status_change, 'kyc.amani'));
    expect(schemas.every((s) => s.Properties.SchemaName.startsWith('kyc.amani@'))).toBe(true);
    expect(template.toJSON().Outputs.EventSource.Value).toBe('kyc.amani');
  });

  it('a production stage does not retain them: they are derived from the repository', () => {
    const { template } = synthesize({ stage: 'prod', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' });
    const kept = Object.values(resources(template) as Record<string, Resource & { DeletionPolicy?: string }>).filter(
      (r) => r.Type.startsWith('AWS::EventSchemas::') && r.DeletionPolicy === 'Retain',
    );
    expect(kept).toEqual([]);
  });
});
