// The seam between the transaction coordinator and the partition leaders (txn-contract.md):
// the transaction markers the coordinator asks a broker to write (WriteTxnMarkers, or a direct
// call when the leader is local: ReplicaManager.writeTxnMarkers) and each partition's outcome.
// Types only.
export interface TxnMarkerEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
  /**
   * The transaction version of the marker (WriteTxnMarkers v2, KIP-1228): 2 for a transaction
   * of version 2, whose marker epoch is the bumped one; absent or 0/1 for version 1.
   */
  readonly transactionVersion?: number;
}

export interface TxnMarkerResult {
  readonly producerId: number;
  readonly partitions: { topic: string; partition: number; errorCode: number }[];
}
