/**
 * Small programs using the Sluice Java SDK, compiled by the build and run against a cluster by
 * the node module's {@code ExamplesTest}:
 * <ul>
 *   <li>{@link io.sluice.examples.PlainProducer}: keyed sends, batching, compression, flush;</li>
 *   <li>{@link io.sluice.examples.PlainConsumer}: manual assignment, read to the end offsets;</li>
 *   <li>{@link io.sluice.examples.AtomicTransfer}: one atomic write across partitions and topics;</li>
 *   <li>{@link io.sluice.examples.GroupConsumer}: a consumer group member (subscribe, poll,
 *       commitSync of what was processed, a rebalance listener that commits before partitions
 *       move);</li>
 *   <li>{@link io.sluice.examples.ExactlyOnceTransform}: consume-transform-produce, reading as a
 *       group member and writing the results and the input offsets with
 *       {@code Producer.sendAtomically(records, offsets, consumer.groupMetadata())}, so that each
 *       input record's output is stored exactly once; on {@code CommitFailedException} it rejoins
 *       the group and re-processes from its committed offsets.</li>
 * </ul>
 *
 * <p>Each takes its settings as positional arguments (bootstrap first) with defaults, and the
 * group examples stop after a number of records or seconds, whichever comes first.
 */
package io.sluice.examples;
