/**
 * Follows the local mode's bus through its event log (`.local/events.jsonl`, appended by the AWS
 * emulator for every event it accepts), matching each new line with EventBridge's semantics, as a
 * rule on a deployed bus would. Only events appended after the start are shown.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { matchesEventPattern, type EventPattern } from '../../packages/consumer/src/event-pattern';
import type { FollowOptions } from './follow';

const POLL_MS = 200;

export async function followEventLog(file: string, options: FollowOptions): Promise<void> {
  let offset = sizeOf(file);
  // Bytes after the last complete line: a line is decoded only once whole (UTF-8 may span reads).
  let partial: Buffer = Buffer.alloc(0);
  options.onStatus(`following the local bus through ${file}; Ctrl-C stops`);
  while (!options.signal.aborted) {
    const size = sizeOf(file);
    // The log was replaced (npm start --fresh): read it from its start.
    if (size < offset) {
      offset = 0;
      partial = Buffer.alloc(0);
    }
    if (size > offset) {
      const bytes = Buffer.concat([partial, read(file, offset, size - offset)]);
      offset = size;
      const end = bytes.lastIndexOf(0x0a) + 1;
      partial = bytes.subarray(end);
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(line) as Record<string, unknown>;
        } catch {
          options.onStatus('skipped a line of the event log that is not JSON');
          continue;
        }
        if (matchesEventPattern(options.pattern as EventPattern, event)) options.onEvent(event);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function read(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
