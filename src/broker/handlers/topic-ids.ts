// Requests that name topics by id (KIP-516: Produce v13, TxnOffsetCommit v6): the handlers
// work by name, so the decoded request's topics get their names filled in from the topic
// metadata, and the ids this broker does not know are set apart to be answered
// UNKNOWN_TOPIC_ID.
import type { TopicService } from '../../partition/topic-service.js';

/**
 * Fills in `name` on every topic of `topics` whose `topicId` is known and returns those whose
 * id is not (in request order); the request is changed in place so that metrics and logs see
 * names too.
 */
export function nameTopicsById<T extends { name: string; topicId: string }>(topics: readonly T[], metadata: Pick<TopicService, 'getTopicById'>): T[] {
  const unknown: T[] = [];
  for (const t of topics) {
    const name = metadata.getTopicById(t.topicId)?.name;
    if (name === undefined) unknown.push(t);
    else t.name = name;
  }
  return unknown;
}
