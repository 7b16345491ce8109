package io.sluice.statemachine;

import java.io.IOException;

/**
 * Stored bytes failed a check: a RocksDB block or MANIFEST checksum, a snapshot that does not hold
 * the index its name states, or stored state that contradicts itself. Distinct from other
 * {@link IOException}s (a held lock, a full disk, a permission) because only this one tells the
 * node that its storage, not its environment, is at fault: the node then treats the storage as
 * lost (see the node's {@code StorageRecovery}) rather than retrying. Never retriable as is.
 */
public final class StorageCorruptException extends IOException {
  private static final long serialVersionUID = 1L;

  public StorageCorruptException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageCorruptException(String message) {
    super(message);
  }
}
