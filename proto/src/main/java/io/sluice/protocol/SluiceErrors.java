package io.sluice.protocol;

/**
 * Constants of the error contract between server and clients: the google.rpc.ErrorInfo domain
 * and metadata keys. Reasons are the names of {@code sluice.v1.ErrorReason}.
 */
public final class SluiceErrors {
  public static final String DOMAIN = "sluice.io";
  /** Metadata key: "NOT_WRITTEN" or "UNKNOWN" on write calls. */
  public static final String WRITE_OUTCOME = "write_outcome";
  public static final String NOT_WRITTEN = "NOT_WRITTEN";
  public static final String UNKNOWN = "UNKNOWN";
  /** Metadata key: id of the leader (on NOT_LEADER). */
  public static final String LEADER_ID = "leader_id";
  /** Metadata key: host:port of the leader's client API (on NOT_LEADER). */
  public static final String LEADER_ADDRESS = "leader_address";
  /** Metadata key: the partition's current end offset (on OFFSET_OUT_OF_RANGE). */
  public static final String END_OFFSET = "end_offset";

  private SluiceErrors() {}
}
