package io.sluice.chaos.history;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole history: its events in index order, the operations they form, and the observation events
 * (nemesis, assign). Immutable; thread-safe.
 *
 * <p>Completions are paired with invokes by the {@code op} field; a completion without one is paired
 * with its process's single outstanding invoke (the Jepsen convention, where a process does one
 * operation at a time).
 */
public final class History {

  private final List<Event> events;
  private final List<Operation> operations;

  private History(List<Event> events, List<Operation> operations) {
    this.events = events;
    this.operations = operations;
  }

  /**
   * Checks and pairs {@code events}.
   *
   * @throws HistoryFormatException when indexes do not increase, a completion has no invoke, an
   *     operation completes twice, or a completion's f differs from its invoke's
   */
  public static History of(List<Event> events) {
    List<Event> copy = List.copyOf(events);
    Map<Long, Integer> openById = new HashMap<>();
    Map<String, Long> openByProcess = new HashMap<>();
    Map<Long, Operation> byId = new LinkedHashMap<>();
    long previousIndex = -1;
    for (int i = 0; i < copy.size(); i++) {
      Event event = copy.get(i);
      long line = i + 1;
      if (event.index() <= previousIndex) {
        throw new HistoryFormatException(line, "index " + event.index() + " does not follow " + previousIndex);
      }
      previousIndex = event.index();
      if (event.f().isObservation()) {
        continue;
      }
      if (event.type() == OpType.INVOKE) {
        long id = event.op() != Event.NO_OP ? event.op() : event.index();
        if (byId.containsKey(id)) {
          throw new HistoryFormatException(line, "op " + id + " invoked twice");
        }
        if (event.op() == Event.NO_OP) {
          if (openByProcess.containsKey(event.process())) {
            throw new HistoryFormatException(line, "process " + event.process()
                + " invoked without an op id while another of its operations is outstanding");
          }
          openByProcess.put(event.process(), id);
        }
        openById.put(id, i);
        byId.put(id, new Operation(id, event, null));
        continue;
      }
      Long id = event.op() != Event.NO_OP ? Long.valueOf(event.op()) : openByProcess.get(event.process());
      if (id == null || !openById.containsKey(id)) {
        String what = event.op() != Event.NO_OP ? "op " + event.op() : "process " + event.process();
        throw new HistoryFormatException(line, event.type().jsonName() + " of " + what + " without an outstanding invoke");
      }
      Operation open = byId.get(id);
      if (open.f() != event.f()) {
        throw new HistoryFormatException(line, "completion f " + event.f().jsonName() + " of op " + id
            + " differs from its invoke's " + open.f().jsonName());
      }
      if (!open.process().equals(event.process())) {
        throw new HistoryFormatException(line, "op " + id + " invoked by " + open.process()
            + " but completed by " + event.process());
      }
      openById.remove(id);
      openByProcess.remove(event.process(), id);
      byId.put(id, new Operation(id, open.invoke(), event));
    }
    List<Operation> operations = new ArrayList<>(byId.values());
    operations.sort((a, b) -> Long.compare(a.invoke().index(), b.invoke().index()));
    return new History(copy, Collections.unmodifiableList(operations));
  }

  /** Every event, in index order. */
  public List<Event> events() {
    return events;
  }

  /** Every operation, in invoke order; pending ones have a null completion. */
  public List<Operation> operations() {
    return operations;
  }

  /** The events of one observation function (nemesis or assign), in index order. */
  public List<Event> observations(OpFunction f) {
    List<Event> result = new ArrayList<>();
    for (Event event : events) {
      if (event.f() == f) {
        result.add(event);
      }
    }
    return result;
  }

  /** Time of the last event, in nanoseconds since the start (0 for an empty history). */
  public long endNs() {
    return events.isEmpty() ? 0 : events.get(events.size() - 1).timeNs();
  }
}
