// The admin API's error registry (after fastify's lib/errors.js): every error the HTTP API
// answers has one stable code here, with its HTTP status and what it means. The body is
// always { error: { code, message, details? } }. Codes never change meaning; new ones are
// added at the end of their area. README.md ("Admin API errors") documents each, and
// test/admin/errors.test.ts fails when one is missing there.
import { ErrorCode, errorName } from '../protocol/errors.js';

export interface AdminErrorDefinition {
  readonly status: number;
  readonly description: string;
}

export const ADMIN_ERRORS = {
  // request shape
  TIDELOG_ERR_VALIDATION: { status: 400, description: 'The path, query or body does not match the schema; details lists each problem.' },
  TIDELOG_ERR_BAD_REQUEST: { status: 400, description: 'The request could not be read (malformed JSON, an empty JSON body, a bad header).' },
  TIDELOG_ERR_BODY_TOO_LARGE: { status: 413, description: 'The request body is larger than the admin API accepts (1 MiB).' },
  TIDELOG_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The body is not application/json.' },
  TIDELOG_ERR_ROUTE_NOT_FOUND: { status: 404, description: 'No route has this method and path; /openapi.json lists them all.' },
  TIDELOG_ERR_HOST_NOT_ALLOWED: { status: 421, description: "The Host header names neither this listener nor a name in admin.allowed.hosts (a DNS rebinding defence)." },
  TIDELOG_ERR_ORIGIN_NOT_ALLOWED: { status: 403, description: "The request comes from a web page of another origin (Origin or Sec-Fetch-Site header); the API answers only its own origin and non-browser clients." },
  // authentication and authorization
  TIDELOG_ERR_UNAUTHENTICATED: { status: 401, description: 'admin.authentication is on and the request has no valid credentials: no or a wrong HTTP Basic user and password (checked against the SCRAM users), or no trusted client certificate. Nothing was read or changed.' },
  TIDELOG_ERR_FORBIDDEN: { status: 403, description: "The authenticated principal lacks the ACL this route needs (the same ACLs as the Kafka protocol, authorizer.class.name); the message names the operation and resource. Nothing was read or changed." },
  // topics
  TIDELOG_ERR_TOPIC_NOT_FOUND: { status: 404, description: 'The topic does not exist.' },
  TIDELOG_ERR_TOPIC_EXISTS: { status: 409, description: 'A topic with this name already exists.' },
  TIDELOG_ERR_TOPIC_NAME_INVALID: { status: 400, description: "The topic name is illegal (1-249 of [a-zA-Z0-9._-], not '.' or '..') or collides with an existing one ('.' and '_' are equivalent in metric names)." },
  TIDELOG_ERR_PARTITIONS_INVALID: { status: 400, description: 'The partition count is not allowed: below 1, above the limit, or not more than the topic has.' },
  TIDELOG_ERR_REPLICATION_FACTOR_INVALID: { status: 400, description: 'The replication factor is below 1 or larger than the number of brokers.' },
  TIDELOG_ERR_CONFIG_INVALID: { status: 400, description: 'A topic configuration key is unknown or its value is invalid; nothing was changed.' },
  TIDELOG_ERR_TOPIC_DELETION_DISABLED: { status: 403, description: 'The broker runs with delete.topic.enable=false.' },
  TIDELOG_ERR_PARTITION_NOT_FOUND: { status: 404, description: 'The topic has no partition of this index.' },
  TIDELOG_ERR_MESSAGE_TOO_LARGE: { status: 413, description: "The record is larger than the topic accepts (max.message.bytes)." },
  TIDELOG_ERR_MESSAGE_INVALID: { status: 400, description: 'The broker refused the record (for example a record without a key on a compacted topic).' },
  TIDELOG_ERR_TOPIC_INTERNAL: { status: 403, description: 'The topic is internal (__consumer_offsets, __transaction_state): it cannot be deleted or grown, and its records cannot be deleted.' },
  // groups
  TIDELOG_ERR_GROUP_NOT_FOUND: { status: 404, description: 'The consumer group does not exist (no members and no committed offsets).' },
  TIDELOG_ERR_GROUP_NOT_EMPTY: { status: 409, description: 'The group has active members; stop its consumers first (offsets can only be reset, and groups deleted, when the group is Empty).' },
  TIDELOG_ERR_GROUP_ID_INVALID: { status: 400, description: 'The group id is not valid for this operation.' },
  TIDELOG_ERR_NOTHING_TO_RESET: { status: 400, description: 'An offset reset found no partitions: name a topic, or the group has no committed offsets.' },
  // transactions
  TIDELOG_ERR_TRANSACTION_NOT_FOUND: { status: 404, description: 'No transactional id of this name is known to its coordinator.' },
  TIDELOG_ERR_NO_OPEN_TRANSACTION: { status: 404, description: 'No open transaction starts at the offset given on this partition (an abort names one by its start offset).' },
  // the broker
  TIDELOG_ERR_BROKER_NOT_FOUND: { status: 404, description: 'No live broker of the cluster has this id.' },
  TIDELOG_ERR_LEADER_NOT_AVAILABLE: { status: 503, description: 'The partition has no leader that answers (an election is in progress or its brokers are down); retry.' },
  TIDELOG_ERR_BROKER_NOT_AVAILABLE: { status: 503, description: 'A broker the answer needs could not be reached; retry.' },
  TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE: { status: 503, description: 'The group coordinator is loading or shutting down; retry.' },
  TIDELOG_ERR_NOT_READY: { status: 503, description: 'The broker is not ready to serve clients (starting or shutting down).' },
  TIDELOG_ERR_KAFKA: { status: 500, description: 'The broker answered with a Kafka error this API has no better code for; the message names it.' },
  TIDELOG_ERR_INTERNAL: { status: 500, description: 'A bug: the broker logged it with the request.' },
} as const satisfies Record<string, AdminErrorDefinition>;

export type AdminErrorCode = keyof typeof ADMIN_ERRORS;
export const ADMIN_ERROR_CODES = Object.keys(ADMIN_ERRORS) as AdminErrorCode[];

export interface AdminErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** An error the admin API answers with; its status comes from the registry. */
export class AdminError extends Error {
  readonly status: number;
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly details?: readonly AdminErrorDetail[],
  ) {
    super(message);
    this.name = 'AdminError';
    this.status = ADMIN_ERRORS[code].status;
  }

  toBody(): { error: { code: AdminErrorCode; message: string; details?: readonly AdminErrorDetail[] } } {
    return { error: this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message } };
  }
}

/**
 * A Kafka error code from a subsystem (TopicService, GroupCoordinator) as an admin error.
 * Codes the API has its own name for map to it; anything else is TIDELOG_ERR_KAFKA with the
 * Kafka error's name in the message. `internalTopic`: the subsystem refused because the topic
 * is internal (TopicResult.internalTopic).
 */
export function fromKafkaError(errorCode: number, message: string | null, subject: string, internalTopic = false): AdminError {
  const text = message ?? `${subject}: ${errorName(errorCode)}`;
  // A refusal by topic-name.ts's internal topic rule, whatever Kafka code it carries.
  if (internalTopic) return new AdminError('TIDELOG_ERR_TOPIC_INTERNAL', text);
  switch (errorCode) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.UNKNOWN_TOPIC_ID:
      return new AdminError('TIDELOG_ERR_TOPIC_NOT_FOUND', message ?? `Topic ${subject} does not exist.`);
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return new AdminError('TIDELOG_ERR_TOPIC_EXISTS', text);
    case ErrorCode.INVALID_TOPIC_EXCEPTION:
      return new AdminError('TIDELOG_ERR_TOPIC_NAME_INVALID', text);
    case ErrorCode.INVALID_PARTITIONS:
      return new AdminError('TIDELOG_ERR_PARTITIONS_INVALID', text);
    case ErrorCode.INVALID_REPLICATION_FACTOR:
    case ErrorCode.INVALID_REPLICA_ASSIGNMENT:
      return new AdminError('TIDELOG_ERR_REPLICATION_FACTOR_INVALID', text);
    case ErrorCode.INVALID_CONFIG:
      return new AdminError('TIDELOG_ERR_CONFIG_INVALID', text);
    case ErrorCode.TOPIC_DELETION_DISABLED:
      return new AdminError('TIDELOG_ERR_TOPIC_DELETION_DISABLED', text);
    case ErrorCode.GROUP_ID_NOT_FOUND:
      return new AdminError('TIDELOG_ERR_GROUP_NOT_FOUND', message ?? `Group ${subject} does not exist.`);
    case ErrorCode.NON_EMPTY_GROUP:
    case ErrorCode.UNKNOWN_MEMBER_ID:
    case ErrorCode.REBALANCE_IN_PROGRESS:
    case ErrorCode.ILLEGAL_GENERATION:
      return new AdminError('TIDELOG_ERR_GROUP_NOT_EMPTY', message ?? `Group ${subject} has active members.`);
    case ErrorCode.TRANSACTIONAL_ID_NOT_FOUND:
      return new AdminError('TIDELOG_ERR_TRANSACTION_NOT_FOUND', message ?? `Transactional id ${subject} does not exist.`);
    case ErrorCode.INVALID_GROUP_ID:
      return new AdminError('TIDELOG_ERR_GROUP_ID_INVALID', text);
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.NOT_COORDINATOR:
      return new AdminError('TIDELOG_ERR_COORDINATOR_NOT_AVAILABLE', text);
    default:
      return new AdminError('TIDELOG_ERR_KAFKA', `${subject}: ${errorName(errorCode)}${message ? `: ${message}` : ''}`);
  }
}
