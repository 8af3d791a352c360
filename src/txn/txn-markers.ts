export interface TxnMarkerEntry { readonly producerId: number; readonly producerEpoch: number;
  readonly coordinatorEpoch: number; readonly commit: boolean;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[] }
export interface TxnMarkerResult { readonly producerId: number;
  readonly partitions: { topic: string; partition: number; errorCode: number }[] }
