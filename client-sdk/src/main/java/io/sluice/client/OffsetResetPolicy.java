package io.sluice.client;

/** Where a group consumer starts a partition its group has no committed offset for. */
public enum OffsetResetPolicy {
  /** The partition's log start offset (the oldest record still stored). */
  EARLIEST,
  /** The partition's end offset (only records appended from now on). */
  LATEST
}
