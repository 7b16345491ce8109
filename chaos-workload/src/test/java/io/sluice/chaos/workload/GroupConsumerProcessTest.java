package io.sluice.chaos.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.sluice.chaos.history.Event;
import io.sluice.chaos.history.HistoryWriter;
import io.sluice.chaos.history.OpFunction;
import io.sluice.chaos.history.OpType;
import io.sluice.chaos.history.OpValue;
import io.sluice.client.CommitFailedException;
import io.sluice.client.Consumer;
import io.sluice.client.ConsumerGroupMetadata;
import io.sluice.client.ConsumerRebalanceListener;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.OffsetAndMetadata;
import io.sluice.client.TopicPartition;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The group consumer's record of a scripted consumer: assigns with the group's positions, polls
 * with their group, and commits recorded as fail only when the group fenced them
 * (CommitFailedException), info for any other error, ok otherwise; what was revoked is not
 * committed again.
 */
class GroupConsumerProcessTest {

  private static final String TOPIC = "t";
  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  private ConsumerRebalanceListener listener;
  private int polls;
  private final List<Map<TopicPartition, OffsetAndMetadata>> commitCalls = new ArrayList<>();

  private static ConsumerRecord record(TopicPartition tp, long offset) {
    return new ConsumerRecord(tp.topic(), tp.partition(), offset, 0L, null,
        ("v" + tp.partition() + "-" + offset).getBytes(StandardCharsets.UTF_8), List.of());
  }

  private List<ConsumerRecord> poll() {
    polls++;
    switch (polls) {
      case 1:
        listener.onPartitionsAssigned(List.of(P0, P1));
        return List.of(record(P0, 0), record(P0, 1), record(P1, 5));
      case 2:
        return List.of(record(P0, 2));
      default:
        listener.onPartitionsRevoked(List.of(P0, P1));
        listener.onPartitionsAssigned(List.of(P1));
        return List.of();
    }
  }

  private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    commitCalls.add(new LinkedHashMap<>(offsets));
    switch (commitCalls.size()) {
      case 1 -> throw new CommitFailedException("fenced", Status.Code.FAILED_PRECONDITION, "ILLEGAL_GENERATION", null);
      case 2 -> throw new IllegalStateException("connection lost after the request left");
      default -> { }
    }
  }

  @SuppressWarnings("unchecked")
  private Consumer scriptedConsumer() {
    return (Consumer) Proxy.newProxyInstance(Consumer.class.getClassLoader(), new Class<?>[] {Consumer.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "subscribe" -> {
            listener = (ConsumerRebalanceListener) args[1];
            yield null;
          }
          case "poll" -> poll();
          case "commitSync" -> {
            commitSync((Map<TopicPartition, OffsetAndMetadata>) args[0]);
            yield null;
          }
          case "position" -> ((TopicPartition) args[0]).partition() == 0 ? 0L : (polls >= 3 ? 6L : 5L);
          case "groupMetadata" -> new ConsumerGroupMetadata("g", "m1", 4);
          case "close" -> null;
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  @Test
  void recordsAssignsPollsAndCommitsWithWhatIsKnownOfEach() {
    HistoryWriter history = HistoryWriter.inMemory();
    WorkloadConfig config = WorkloadConfig.builder("localhost:1").topic(TOPIC).group("g")
        .commitInterval(Duration.ofNanos(1)).pollTimeout(Duration.ofMillis(1)).build();
    new GroupConsumerProcess("g0", scriptedConsumer(), history, config, () -> polls < 3).run();

    List<Event> commits = history.events().stream()
        .filter(e -> e.f() == OpFunction.COMMIT && e.type() != OpType.INVOKE).toList();
    assertEquals(List.of(OpType.FAIL, OpType.INFO, OpType.OK), commits.stream().map(Event::type).toList(),
        history.events().toString());
    assertTrue(commits.get(0).error().contains("CommitFailedException"), commits.get(0).error());
    OpValue.Commit revokeCommit = (OpValue.Commit) commits.get(2).value();
    assertEquals(List.of(new OpValue.Position(TOPIC, 0, 3), new OpValue.Position(TOPIC, 1, 6)), revokeCommit.offsets());
    assertEquals(4, revokeCommit.generation());
    // After the revoke nothing was polled again: no further commit, of p0 or of p1.
    assertEquals(3, commitCalls.size());
    assertEquals(Map.of(P0, OffsetAndMetadata.of(2), P1, OffsetAndMetadata.of(6)), commitCalls.get(0));

    List<OpValue.Assign> assigns = history.events().stream().filter(e -> e.f() == OpFunction.ASSIGN)
        .map(e -> (OpValue.Assign) e.value()).toList();
    assertEquals(List.of(new OpValue.Position(TOPIC, 0, 0), new OpValue.Position(TOPIC, 1, 5)), assigns.get(0).positions());
    assertEquals(List.of(new OpValue.Position(TOPIC, 1, 6)), assigns.get(1).positions());
    assertTrue(assigns.stream().allMatch(a -> "g".equals(a.group())));
    assertTrue(history.events().stream().filter(e -> e.f() == OpFunction.POLL)
        .allMatch(e -> "g".equals(((OpValue.Poll) e.value()).group())));
  }
}
