package io.sluice.client.internal;

/**
 * The (producer id, epoch) an idempotent producer stamps into its batches, as issued by
 * InitProducer. Immutable.
 */
record ProducerIdentity(long producerId, short epoch) {
  @Override
  public String toString() {
    return "producer " + producerId + " epoch " + epoch;
  }
}
