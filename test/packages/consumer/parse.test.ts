/**
 * parseAmaniEvent on events as the receiver publishes them: typed results, unknown fields kept,
 * clear errors that never carry a value from the event, and the same schemas through Powertools'
 * parser (whole event, and its EventBridge envelope).
 */
import { describe, expect, it } from '@jest/globals';
import { parse } from '@aws-lambda-powertools/parser';
import { EventBridgeEnvelope } from '@aws-lambda-powertools/parser/envelopes/eventbridge';
import { AMANI_EVENTS } from '../../../lambda/core/amani-events';
import { samplePayload } from '../../../local/amani-sender';
import { productEvent } from '../../helpers/bus-events';
import {
  AMANI_DETAIL_SCHEMAS,
  AmaniEventParseError,
  amaniEventSchema,
  parseAmaniEvent,
  safeParseAmaniEvent,
} from '../../../packages/consumer/src/parse';

const busEvent = (detailType: string, data: Record<string, unknown>, metadata: Record<string, unknown> = {}) =>
  productEvent(detailType, data, { deliveryId: 'dlv-1', ...metadata });

describe('parseAmaniEvent', () => {
  it.each(AMANI_EVENTS.map((e) => [e]))("parses a %s event as the simulator's payload makes it", (name) => {
    const event = parseAmaniEvent(busEvent(name, samplePayload(name, 1)));
    expect(event['detail-type']).toBe(name);
    expect(event.detail.metadata.deliveryId).toBe('dlv-1');
  });

  it('narrows the type by detail-type, and to the events asked for', () => {
    const event = parseAmaniEvent(busEvent('profile_status_change', samplePayload('profile_status_change', 1)), {
      events: ['profile_status_change', 'document_upload'],
    });
    if (event['detail-type'] === 'profile_status_change') expect(event.detail.data.profile?.status).toBe('APPROVED');
    else throw new Error('narrowing failed');
    expect(() => parseAmaniEvent(busEvent('document_upload', {}), { events: ['profile_status_change'] })).toThrow(
      /detail-type "document_upload" is not one of the events handled here \(profile_status_change\)/,
    );
  });

  it('keeps fields it does not know, at every level, and reads a missing version as "1"', () => {
    const data: Record<string, unknown> = { ...samplePayload('document_upload', 2), brand_new: { x: 1 } };
    (data.profile as Record<string, unknown>).nickname = 'n';
    (data.document as Record<string, unknown>).pages = 3;
    const raw = busEvent('document_upload', data, { futureField: 'later', version: undefined });
    const event = parseAmaniEvent({ ...raw, 'replay-name': 'r-1', extra: true });
    expect(event.detail.metadata.version).toBe('1');
    expect(event.detail.metadata).toMatchObject({ futureField: 'later' });
    expect(event.detail.data).toMatchObject({ brand_new: { x: 1 }, profile: { nickname: 'n' }, document: { pages: 3 } });
    expect(event).toMatchObject({ 'replay-name': 'r-1', extra: true });
  });

  it('accepts the webhook detail-type (a body naming no event) with any object as data', () => {
    expect(parseAmaniEvent(busEvent('webhook', { anything: [1, 2] })).detail.data).toEqual({ anything: [1, 2] });
  });

  it('refuses a version it was not built for, a wrong source, an unknown detail-type, and a broken envelope', () => {
    expect(() => parseAmaniEvent(busEvent('profile_create', {}, { version: '2' }))).toThrow(/detail\.metadata\.version/);
    expect(() => parseAmaniEvent(busEvent('profile_create', {}))).not.toThrow();
    expect(() => parseAmaniEvent({ ...busEvent('profile_create', {}), source: 'kyc' })).toThrow(/source is not "amani"/);
    expect(parseAmaniEvent({ ...busEvent('profile_create', {}), source: 'kyc' }, { source: 'kyc' }).source).toBe('kyc');
    expect(() => parseAmaniEvent(busEvent('profile_archived', {}))).toThrow(/"profile_archived" is not known to this version/);
    expect(() => parseAmaniEvent(busEvent('profile_create', {}, { authMode: 'basic' }))).toThrow(/detail\.metadata\.authMode/);
    expect(() => parseAmaniEvent(busEvent('profile_create', {}, { deliveryId: undefined }))).toThrow(/detail\.metadata\.deliveryId/);
    expect(() => parseAmaniEvent(null)).toThrow(/not an EventBridge event/);
    expect(() => parseAmaniEvent([])).toThrow(/not an EventBridge event/);
    expect(() => parseAmaniEvent({ source: 'amani' })).toThrow(/detail-type is missing/);
  });

  it('an error names paths, never values from the event (personal data)', () => {
    const data = samplePayload('profile_update', 3) as { profile: Record<string, unknown> };
    data.profile.first_name = 12345;
    data.profile.level = 'Zeynep Yılmaz';
    const result = safeParseAmaniEvent(busEvent('profile_update', data, { bodySha256: 'Zeynep' }));
    expect(result.success).toBe(false);
    if (result.success) return;
    expect(result.error).toBeInstanceOf(AmaniEventParseError);
    expect(result.error.issues.map((i) => i.path).sort()).toEqual(
      ['detail.data.profile.first_name', 'detail.data.profile.level', 'detail.metadata.bodySha256'].sort(),
    );
    const text = `${result.error.message} ${JSON.stringify(result.error.issues)}`;
    expect(text).not.toMatch(/Zeynep|12345|Yılmaz/);
    const hostile = safeParseAmaniEvent(busEvent('Zeynep Yılmaz 1990-01-01', {}));
    expect(hostile.success ? '' : hostile.error.message).not.toMatch(/Zeynep|1990/);
  });
});

describe('with Powertools parser', () => {
  const event = busEvent('profile_status_change', samplePayload('profile_status_change', 1));

  it('parses the whole event with amaniEventSchema', () => {
    const parsed = parse(event, undefined, amaniEventSchema);
    expect(parsed['detail-type']).toBe('profile_status_change');
  });

  it("parses the detail through the EventBridge envelope with a detail-type's detail schema", () => {
    const detail = parse(event, EventBridgeEnvelope, AMANI_DETAIL_SCHEMAS.profile_status_change);
    expect(detail.metadata.deliveryId).toBe('dlv-1');
    expect(detail.data.profile?.status).toBe('APPROVED');
    expect(() =>
      parse(busEvent('profile_status_change', {}, { version: '2' }), EventBridgeEnvelope, AMANI_DETAIL_SCHEMAS.webhook),
    ).toThrow();
    const safe = parse(
      busEvent('profile_status_change', {}, { tokenGeneration: 'old' }),
      EventBridgeEnvelope,
      AMANI_DETAIL_SCHEMAS.webhook,
      true,
    );
    expect(safe.success).toBe(false);
  });
});
