/**
 * Validates an event against what the stack publishes to its Schema Registry: the committed
 * OpenAPI document of its detail-type (packages/consumer/schemas), with a JSON Schema validator
 * (Ajv), independent of the zod schemas it was generated from. A detail-type without a document
 * of its own (a name Amani added, a custom eventNamePaths) is checked against `webhook`'s detail.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { EVENT_SCHEMAS_DIR } from '../../infra/constructs/event-schemas';

const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const validators = new Map<string, { event: ValidateFunction; detail: ValidateFunction } | undefined>();

function validatorsFor(detailType: string) {
  if (!validators.has(detailType)) {
    let text: string;
    try {
      text = readFileSync(join(EVENT_SCHEMAS_DIR, `${detailType}.json`), 'utf8');
    } catch {
      validators.set(detailType, undefined);
      return undefined;
    }
    const document = JSON.parse(text) as { components: { schemas: Record<string, unknown> } };
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('date-time', { validate: (value: string) => ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) });
    ajv.addSchema(document, 'doc');
    const detailName = Object.keys(document.components.schemas).find((name) => name.endsWith('Detail')) as string;
    validators.set(detailType, {
      event: ajv.getSchema('doc#/components/schemas/AWSEvent') as ValidateFunction,
      detail: ajv.getSchema(`doc#/components/schemas/${detailName}`) as ValidateFunction,
    });
  }
  return validators.get(detailType);
}

/** Problems of a whole EventBridge event against its published schema; empty when it validates. */
export function publishedSchemaProblems(event: { readonly 'detail-type': string; readonly detail: unknown }): string[] {
  const own = validatorsFor(event['detail-type']);
  const validate = own ? own.event : validatorsFor('webhook')!.detail;
  const subject = own ? event : event.detail;
  if (validate(subject)) return [];
  return (validate.errors ?? []).map((e) => `${event['detail-type']} ${e.instancePath || '(root)'} ${e.message ?? ''}`);
}

/** The event EventBridge makes of a PutEvents entry (envelope fields as EventBridge fills them). */
export function eventOfEntry(entry: { readonly Source?: string; readonly DetailType?: string; readonly Detail?: string }) {
  return {
    version: '0',
    id: '00000000-0000-4000-8000-000000000000',
    'detail-type': String(entry.DetailType),
    source: String(entry.Source),
    account: '000000000000',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: JSON.parse(String(entry.Detail)) as unknown,
  };
}
