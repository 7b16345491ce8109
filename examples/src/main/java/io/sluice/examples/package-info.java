/**
 * Small programs using the Sluice Java SDK, compiled by the build and run against a cluster by
 * the node module's {@code ExamplesTest}:
 * <ul>
 *   <li>{@link io.sluice.examples.PlainProducer}: keyed sends, batching, compression, flush;</li>
 *   <li>{@link io.sluice.examples.PlainConsumer}: manual assignment, read to the end offsets;</li>
 *   <li>{@link io.sluice.examples.AtomicTransfer}: one atomic write across partitions and topics.</li>
 * </ul>
 *
 * <p>Still to come, once the SDK's group consumer exists (the place for them is this package):
 * {@code GroupConsumer} (a consumer group member: subscribe, poll, commit) and
 * {@code ExactlyOnceTransform} (consume-transform-produce: read from a group, write the results
 * and commit the input offsets with {@code Producer.sendAtomically(records, offsets, group)}, so
 * that each input record's output is stored exactly once; on {@code CommitFailedException}
 * rejoin the group and re-process from its committed offsets).
 */
package io.sluice.examples;
