// Topic name rules, as Kafka's Topic.validate: 1-249 characters of [a-zA-Z0-9._-], not "."
// or "..". Internal topics start with "__".
export const TOPIC_NAME_MAX_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Returns why a topic name is invalid, or null when it is fine. */
export function invalidTopicNameReason(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > TOPIC_NAME_MAX_LENGTH) return `Topic name is illegal, it can't be longer than ${TOPIC_NAME_MAX_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export function isInternalTopic(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}
