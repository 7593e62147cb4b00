/**
 * The OpenAPI 3 documents the stack publishes to its EventBridge Schema Registry, one per
 * detail-type, generated from the event contract (lambda/core/event-contract.ts) in the shape
 * EventBridge gives AWS's own events: an `AWSEvent` root schema carrying
 * `x-amazon-events-source` and `x-amazon-events-detail-type`, so the registry's code bindings
 * (Java, Python, TypeScript, Go) come out as they do for AWS events.
 *
 * `npm run schemas` writes them to packages/consumer/schemas/; a test regenerates and compares.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { CONTRACT_REGISTRY } from '../../../lambda/core/amani-payloads';
import {
  AMANI_EVENT_SCHEMAS,
  DEFAULT_EVENT_SOURCE,
  EVENT_CONTRACT_VERSION,
  type AmaniDetailType,
} from '../../../lambda/core/event-contract';

export const SCHEMAS_DIR = join(__dirname, '..', 'schemas');

type JsonObject = Record<string, unknown>;

/** The registry schema name of a detail-type, as AWS names its own (`aws.ec2@EC2InstanceStateChangeNotification`). */
export function schemaName(source: string, detailType: string): string {
  return `${source}@${detailType
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('')}`;
}

/** One OpenAPI 3.0 document per detail-type, for the default event source. */
export function generateSchemaDocuments(): Record<AmaniDetailType, JsonObject> {
  const documents = {} as Record<AmaniDetailType, JsonObject>;
  for (const [detailType, schema] of Object.entries(AMANI_EVENT_SCHEMAS) as [AmaniDetailType, z.ZodType][]) {
    const { definitions = {}, ...root } = z.toJSONSchema(schema, {
      target: 'openapi-3.0',
      // Describes the event on the wire: a field the parser defaults (metadata.version) is optional there.
      io: 'input',
      metadata: CONTRACT_REGISTRY,
      // `format: date-time` says it; zod's equivalent regular expression would only add noise.
      override: ({ jsonSchema }) => {
        if (jsonSchema.format === 'date-time') delete jsonSchema.pattern;
      },
    }) as JsonObject & { definitions?: JsonObject };
    const components = {
      AWSEvent: {
        ...root,
        'x-amazon-events-source': DEFAULT_EVENT_SOURCE,
        'x-amazon-events-detail-type': detailType,
      },
      ...definitions,
    };
    documents[detailType] = {
      openapi: '3.0.0',
      info: {
        version: `${EVENT_CONTRACT_VERSION}.0.0`,
        title: schemaName(DEFAULT_EVENT_SOURCE, detailType).split('@')[1],
        description: `amani-webhooks event contract version ${EVENT_CONTRACT_VERSION}: an authenticated Amani ${detailType} delivery.`,
      },
      paths: {},
      components: { schemas: rewriteRefs(components) },
    };
  }
  return documents;
}

/** The document for a stack whose `eventSource` is not the default: only the source marker differs. */
export function withEventSource(document: JsonObject, source: string): JsonObject {
  const copy = structuredClone(document) as { components: { schemas: { AWSEvent: JsonObject } } };
  copy.components.schemas.AWSEvent['x-amazon-events-source'] = source;
  return copy;
}

/** The file text of a document: stable, formatted, newline-terminated. */
export function documentText(document: JsonObject): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function rewriteRefs(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/definitions/', '"#/components/schemas/')) as JsonObject;
}

/** Writes every document to `dir` (removing stale ones); returns the file names. */
export function writeSchemaDocuments(dir: string = SCHEMAS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) if (file.endsWith('.json')) rmSync(join(dir, file));
  return Object.entries(generateSchemaDocuments()).map(([detailType, document]) => {
    const file = `${detailType}.json`;
    writeFileSync(join(dir, file), documentText(document));
    return file;
  });
}

if (process.argv[1] && /schemas\.ts$/.test(process.argv[1])) {
  const files = writeSchemaDocuments();
  process.stdout.write(`wrote ${files.length} schemas to ${SCHEMAS_DIR}\n`);
}
