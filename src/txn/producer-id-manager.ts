// ProducerIdManager: hands out producer ids for idempotent producers (InitProducerId),
// reserving them from the MetadataStore in blocks (Kafka's ProducerIdManager takes blocks of
// 1000 from the controller), so ids are never reused, across restarts too.
import type { MetadataStore } from '../cluster/metadata-store.js';

export const PRODUCER_ID_BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0;
  private blockEnd = 0;

  constructor(private readonly metadata: MetadataStore) {}

  generateProducerId(): number {
    if (this.next >= this.blockEnd) {
      this.next = this.metadata.allocateProducerIdBlock(PRODUCER_ID_BLOCK_SIZE);
      this.blockEnd = this.next + PRODUCER_ID_BLOCK_SIZE;
    }
    return this.next++;
  }
}
