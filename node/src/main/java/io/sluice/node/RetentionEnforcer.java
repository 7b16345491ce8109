package io.sluice.node;

import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.ExpireProducers;
import io.sluice.internal.v1.TopicState;
import io.sluice.internal.v1.TruncatePartition;
import io.sluice.statemachine.LogCore;
import io.sluice.statemachine.TopicConfigs;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's housekeeping pass. Expires idle idempotent producers (one ExpireProducers command
 * per pass when any is due; the cutoff is computed in apply from the command's timestamp), and
 * applies topic retention: reads the clock, decides each partition's new log start
 * offset ({@link LogCore#retentionPoint}), and proposes it as a {@code TruncatePartition} command,
 * so every replica deletes exactly the same batches. Followers do nothing. Runs on the node's
 * scheduler thread; one pass proposes at most one truncation per partition and waits for each
 * (bounded by the commit timeout), so it never floods the log.
 */
final class RetentionEnforcer implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionEnforcer.class);

  private final SluiceNode node;

  RetentionEnforcer(SluiceNode node) {
    this.node = node;
  }

  @Override
  public void run() {
    try {
      if (!node.isLeader()) {
        return;
      }
      long now = System.currentTimeMillis();
      expireProducers();
      for (LogCore.TopicView view : node.core().topicViews()) {
        TopicState t = view.topic();
        long retentionMs = TopicConfigs.get(t, TopicConfigs.RETENTION_MS);
        long retentionBytes = TopicConfigs.get(t, TopicConfigs.RETENTION_BYTES);
        long cutoff = retentionMs < 0 ? Long.MIN_VALUE : now - retentionMs;
        for (int p = 0; p < t.getPartitions(); p++) {
          Optional<Long> start = node.core().retentionPoint(t.getName(), p, cutoff, retentionBytes);
          if (start.isPresent() && node.isLeader()) {
            truncate(t, p, start.get());
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("retention pass failed; will retry on the next pass: {}", e.toString());
    }
  }

  private void expireProducers() {
    long idleMs = node.config().getLong(NodeConfig.PRODUCER_IDLE_EXPIRY_MS);
    if (node.core().hasProducerIdleSince(System.currentTimeMillis() - idleMs)) {
      propose(Command.newBuilder().setTimestampMs(System.currentTimeMillis())
          .setExpireProducers(ExpireProducers.newBuilder().setIdleMs(idleMs)).build(), "producer expiry");
    }
  }

  private void propose(Command command, String what) {
    try {
      node.proposer().propose(command)
          .get(node.config().getLong(NodeConfig.COMMIT_TIMEOUT_MS) + 1000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.info("{} not done this pass: {}", what, e.toString());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void truncate(TopicState t, int partition, long logStartOffset) {
    Command command = Command.newBuilder().setTimestampMs(System.currentTimeMillis())
        .setTruncatePartition(TruncatePartition.newBuilder()
            .setTopic(t.getName()).setTopicId(t.getTopicId()).setPartition(partition).setLogStartOffset(logStartOffset))
        .build();
    try {
      Proposer.Outcome outcome = node.proposer().propose(command)
          .get(node.config().getLong(NodeConfig.COMMIT_TIMEOUT_MS) + 1000, TimeUnit.MILLISECONDS);
      if (outcome.result().hasError()) {
        LOG.info("retention of {}-{} not applied: {}", t.getName(), partition, outcome.result().getError().getMessage());
      } else {
        LOG.info("retention: {}-{} log start offset now {}", t.getName(), partition, logStartOffset);
      }
    } catch (Exception e) {
      LOG.info("retention of {}-{} to {} not done this pass: {}", t.getName(), partition, logStartOffset, e.toString());
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
