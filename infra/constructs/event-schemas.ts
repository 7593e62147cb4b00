import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as eventschemas from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';

/** The OpenAPI 3 documents generated from the event contract (`npm run schemas`), one per detail-type. */
export const EVENT_SCHEMAS_DIR = join(__dirname, '..', '..', 'packages', 'consumer', 'schemas');

export interface EventSchemasProps {
  readonly stage: string;
  /** The bus's `source`: written into each schema's `x-amazon-events-source`. */
  readonly eventSource: string;
}

interface SchemaDocument {
  readonly info: { readonly title: string; readonly description: string };
  readonly components: { readonly schemas: { readonly AWSEvent: Record<string, unknown> } };
}

/**
 * An EventBridge Schema Registry per stage (`amani-webhooks-<stage>`) holding one schema per
 * detail-type, exactly the committed documents (a test keeps them equal to what the event
 * contract generates), so consumers browse them and download code bindings as they do for AWS
 * events. The schemas are derived data: deleting the stack deletes them, whatever the stage.
 */
export class EventSchemas extends Construct {
  readonly registry: eventschemas.CfnRegistry;
  readonly schemas: readonly eventschemas.CfnSchema[];

  constructor(scope: Construct, id: string, props: EventSchemasProps) {
    super(scope, id);
    this.registry = new eventschemas.CfnRegistry(this, 'Registry', {
      registryName: `amani-webhooks-${props.stage}`,
      description: `Events amani-webhooks publishes on the bus amani-webhooks-${props.stage}: one schema per detail-type`,
    });
    this.schemas = readdirSync(EVENT_SCHEMAS_DIR)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => {
        const document = JSON.parse(readFileSync(join(EVENT_SCHEMAS_DIR, file), 'utf8')) as SchemaDocument;
        document.components.schemas.AWSEvent['x-amazon-events-source'] = props.eventSource;
        const schema = new eventschemas.CfnSchema(this, document.info.title, {
          registryName: this.registry.attrRegistryName,
          // As AWS names its own: aws.ec2@EC2InstanceStateChangeNotification.
          schemaName: `${props.eventSource}@${document.info.title}`,
          type: 'OpenApi3',
          description: document.info.description,
          content: JSON.stringify(document),
        });
        return schema;
      });
  }
}
