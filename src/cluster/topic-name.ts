// Topic name rules, as Kafka's Topic.validate: 1-249 characters of [a-zA-Z0-9._-], not "."
// or "..". And the one rule for internal topics (Kafka's Topic.isInternal): which they are,
// and what no client may do to them on any path (Kafka protocol, admin API, CLI), with the
// Kafka error each refusal answers. TopicService and ReplicaManager apply it; nothing else
// decides it.
import { ErrorCode } from '../protocol/errors.js';

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

/** The group coordinator's offsets, the transaction coordinator's state and the share coordinator's (KIP-932), as Kafka's Topic.INTERNAL_TOPICS. */
export const INTERNAL_TOPICS: readonly string[] = ['__consumer_offsets', '__transaction_state', '__share_group_state'];

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.includes(name);
}

/** What a client could do that destroys an internal topic's content, or hides it. */
export type InternalTopicOperation = 'delete' | 'deleteRecords' | 'append' | 'addPartitions';

export interface InternalTopicRefusal {
  readonly errorCode: number;
  readonly errorMessage: string;
  /** Marks the refusal, so that the admin API answers it with its own code. */
  readonly internalTopic: true;
}

/**
 * The refusal of an operation on an internal topic, or null when the topic is not internal.
 * Codes and messages are Kafka's: DeleteRecords and Produce answer INVALID_TOPIC_EXCEPTION
 * (ReplicaManager.deleteRecordsOnLocalLog, appendToLocalLog); DeleteTopics and CreatePartitions,
 * which Kafka's TopicCommand refuses before sending, answer INVALID_REQUEST. Deleting
 * __consumer_offsets would lose every group's committed offsets (the coordinator recreates it
 * empty); growing it moves most groups to another partition (partitionFor hashes the group id
 * over the partition count), where their offsets are not.
 */
export function internalTopicRefusal(name: string, operation: InternalTopicOperation): InternalTopicRefusal | null {
  if (!isInternalTopic(name)) return null;
  switch (operation) {
    case 'delete':
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Internal topic ${name} cannot be deleted`, internalTopic: true };
    case 'deleteRecords':
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Cannot delete records of internal topic ${name}`, internalTopic: true };
    case 'append':
      return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: `Cannot append to internal topic ${name}`, internalTopic: true };
    case 'addPartitions':
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `The number of partitions for the internal topic ${name} cannot be changed.`, internalTopic: true };
  }
}
