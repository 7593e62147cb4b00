/** What `npm start` prints: commands to paste one per line; token mode never called "signed". */
import { describe, expect, it } from '@jest/globals';
import { banner } from '../../local/banner';
import type { LocalRuntime } from '../../local/runtime';

const runtime = (authMode: 'signature' | 'token'): LocalRuntime => ({
  pid: 1,
  startedAt: '2026-12-01T00:00:00.000Z',
  receiverUrl: 'http://127.0.0.1:3000/webhook',
  amaniBaseUrl: 'http://127.0.0.1:3100',
  awsEndpoint: 'http://127.0.0.1:4566',
  region: 'eu-west-1',
  tokenSecretId: 't',
  credentialsSecretId: 'c',
  eventBusName: 'b',
  fallbackQueueUrl: 'q',
  authMode,
  signatureHeader: 'Webhook-Signature',
  tokenHeader: 'Webhook-Token',
  previousTokenGraceMinutes: 60,
  secretCacheTtlSeconds: 5,
  eventsFile: `${process.cwd()}/.local/events.jsonl`,
});

const commandLines = (text: string) => text.split('\n').filter((line) => line.startsWith('  npx amani-webhooks '));

describe('npm start banner', () => {
  it('prints every suggested command on its own line, with no pipe to paste by mistake', () => {
    const text = banner(runtime('signature'), [{ fault: 'bus-down', seconds: 30 }], '.local');
    const commands = commandLines(text);
    expect(commands).toEqual([
      '  npx amani-webhooks send profile_status_change',
      '  npx amani-webhooks send document_upload --tamper',
      '  npx amani-webhooks rotate --force',
      '  npx amani-webhooks send profile_update --previous-token',
      '  npx amani-webhooks status',
      '  npx amani-webhooks redrive',
    ]);
    expect(text).not.toContain('|');
    expect(text).toContain('  fault      bus-down for 30 s: EventBridge answers every PutEvents with a server error');
  });

  it('token mode: no "signed", no --tamper, and the commands carry a non-default --data-dir', () => {
    const text = banner(runtime('token'), [], '/tmp/state');
    expect(text).not.toMatch(/signed/i);
    expect(text).not.toContain('--tamper');
    expect(text).toContain('token mode: the token itself travels in Webhook-Token, nothing covers the body');
    expect(commandLines(text).every((line) => line.endsWith(' --data-dir /tmp/state'))).toBe(true);
  });
});
