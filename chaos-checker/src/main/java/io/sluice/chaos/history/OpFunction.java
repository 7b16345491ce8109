package io.sluice.chaos.history;

/**
 * The {@code f} of a history event: what kind of operation it belongs to. Each function has one value
 * type (see {@link OpValue}); {@link #NEMESIS} and {@link #ASSIGN} are single observation events.
 */
public enum OpFunction {
  /** Produce one record; value {@link OpValue.Send}. */
  SEND("send"),
  /** Produce several records in one atomic request; value {@link OpValue.Atomic}. */
  ATOMIC("atomic"),
  /** One poll (or one streamed delivery) of a consumer; value {@link OpValue.Poll}. */
  POLL("poll"),
  /** A consumer group's offset commit; value {@link OpValue.Commit}. */
  COMMIT("commit"),
  /** A consumer's positions were (re)set: first assignment, rebalance or seek; value {@link OpValue.Assign}. */
  ASSIGN("assign"),
  /** A fault started or ended; value {@link OpValue.Nemesis}. */
  NEMESIS("nemesis"),
  /** After the faults healed, one partition read in full from one node; value {@link OpValue.FinalRead}. */
  FINAL_READ("final-read");

  private final String jsonName;

  OpFunction(String jsonName) {
    this.jsonName = jsonName;
  }

  /** The name used in the JSON format. */
  public String jsonName() {
    return jsonName;
  }

  /** Parses a JSON name; {@code null} if it is not one. */
  public static OpFunction fromJsonName(String name) {
    for (OpFunction f : values()) {
      if (f.jsonName.equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** Whether events of this function stand alone (no invoke/completion pair). */
  public boolean isObservation() {
    return this == NEMESIS || this == ASSIGN;
  }
}
