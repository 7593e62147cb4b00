import { describe, expect, it } from '@jest/globals';
import { InvalidInvocationError, parseInvocation } from '../../lambda/rotator/handler';

describe('invocation payloads', () => {
  const scheduled = { action: 'rotate', force: false, revokePrevious: false };
  it.each([
    ['an EventBridge Scheduler payload', { 'detail-type': 'Scheduled Event', source: 'aws.scheduler' }, scheduled],
    ['an empty object', {}, scheduled],
    ['null', null, scheduled],
    ['undefined', undefined, scheduled],
    ['a string', 'rotate', scheduled],
    ['an array', [{ action: 'sync' }], scheduled],
    ['rotate', { action: 'rotate' }, scheduled],
    ['rotate + force', { action: 'rotate', force: true }, { action: 'rotate', force: true, revokePrevious: false }],
    [
      'rotate + revokePrevious (implies force)',
      { action: 'rotate', revokePrevious: true },
      { action: 'rotate', force: true, revokePrevious: true },
    ],
    [
      'rotate + revokePrevious + force false',
      { action: 'rotate', revokePrevious: true, force: false },
      { action: 'rotate', force: true, revokePrevious: true },
    ],
    ['sync', { action: 'sync' }, { action: 'sync', force: false, revokePrevious: false }],
  ])('%s', (_, payload, expected) => {
    expect(parseInvocation(payload)).toEqual(expected);
  });

  it.each([
    [{ action: 'Rotate' }],
    [{ action: null }],
    [{ action: 'rotate', force: 1 }],
    [{ action: 'rotate', revoke: true }],
    [{ action: 'sync', force: true }],
  ])('refuses %j', (payload) => {
    expect(() => parseInvocation(payload)).toThrow(InvalidInvocationError);
  });
});
