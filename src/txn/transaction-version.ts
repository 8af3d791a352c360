// Transaction versions (Kafka's TransactionVersion, the `transaction.version` feature of KIP-584
// and KIP-890): which protocol a transaction follows.
//   1 (and 0): the client adds partitions itself (AddPartitionsToTxn, AddOffsetsToTxn) and keeps
//     its epoch across transactions; partition leaders only verify (KIP-890 part 1).
//   2: the epoch is bumped at every commit and abort (EndTxn v5 answers the new one), partition
//     leaders add partitions for the client (Produce v12, TxnOffsetCommit v5), markers carry the
//     bumped epoch and the record value of __transaction_state is written in version 1.
// A client uses 2 only when the finalized level it reads from ApiVersions is 2; the broker key
// `transaction.version` sets that level. A request's version tells which protocol the client
// speaks, as Kafka's TransactionVersion.transactionVersionForEndTxn does: EndTxn v5, Produce v12
// and TxnOffsetCommit v5 are transaction version 2, provided the broker finalized it.

export const TRANSACTION_VERSION_FEATURE = 'transaction.version';
/** The highest level this broker supports (ApiVersions' SupportedFeatures). */
export const TRANSACTION_VERSION_MAX = 2;

export type TransactionVersion = 0 | 1 | 2;

/** Kafka's TransactionVersion.supportsEpochBump: version 2 and later. */
export function supportsEpochBump(v: number): boolean {
  return v >= 2;
}

/**
 * The transaction version a request speaks: 2 when its API version is at least `tv2ApiVersion`
 * (EndTxn 5, Produce 12, TxnOffsetCommit 5) and the broker finalized level 2, else 1.
 */
export function transactionVersionOf(apiVersion: number, tv2ApiVersion: number, finalizedLevel: number): TransactionVersion {
  return apiVersion >= tv2ApiVersion && finalizedLevel >= 2 ? 2 : 1;
}
