/**
 * Contract check on every test file (jest setupFilesAfterEnv): every entry the product publishes
 * through its EventBridge publisher (the receiver, in the harness, the local mode and the
 * reliability suites; the redrive) is recorded, and after the file's tests each must validate
 * against the schema the stack publishes for its detail-type. A test that makes the receiver
 * publish something off-contract fails here, naming the detail-type and the path.
 */
import { afterAll, expect } from '@jest/globals';
import { EventBridgePublisher } from '../../lambda/adapters/event-bus';
import type { BusEntry } from '../../lambda/core/delivery-event';
import { eventOfEntry, publishedSchemaProblems } from '../helpers/published-schema';

const published: BusEntry[] = [];
const publish = EventBridgePublisher.prototype.publish;
EventBridgePublisher.prototype.publish = function (this: EventBridgePublisher, entry, budgetMs) {
  published.push(entry);
  return publish.call(this, entry, budgetMs);
};

afterAll(() => {
  const problems = published.flatMap((entry) => publishedSchemaProblems(eventOfEntry(entry)));
  expect({ published: published.length, problems: problems.slice(0, 10) }).toEqual({ published: published.length, problems: [] });
});
