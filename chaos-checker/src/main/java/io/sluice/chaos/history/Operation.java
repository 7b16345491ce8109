package io.sluice.chaos.history;

/**
 * An invoke paired with its completion.
 *
 * @param id the operation's id (the {@code op} field, or the invoke's index when the history pairs
 *     by process)
 * @param invoke the invoke event
 * @param completion the ok/fail/info event, or null when the operation never completed (pending)
 */
public record Operation(long id, Event invoke, Event completion) {

  public String process() {
    return invoke.process();
  }

  public OpFunction f() {
    return invoke.f();
  }

  /** The completion's type, or null when pending. */
  public OpType outcome() {
    return completion == null ? null : completion.type();
  }

  public boolean isOk() {
    return outcome() == OpType.OK;
  }

  /** The value that best describes the operation: the ok value if any, else the invoke's. */
  public OpValue value() {
    return isOk() && completion.value() != null ? completion.value() : invoke.value();
  }

  public long invokeNs() {
    return invoke.timeNs();
  }

  /** Completion time, or {@link Long#MAX_VALUE} when pending. */
  public long completeNs() {
    return completion == null ? Long.MAX_VALUE : completion.timeNs();
  }
}
