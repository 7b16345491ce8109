package io.sluice.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskGuardTest {
  @TempDir Path dir;

  @Test
  void usableSpaceIsTheFileStoresFreeSpace() throws Exception {
    LongSupplier free = DiskGuard.usableSpaceOf(dir);
    long first = free.getAsLong();
    long direct = Files.getFileStore(dir).getUsableSpace();
    assertTrue(first > 0, "free bytes " + first);
    // Other processes write to the same disk meanwhile: equal within 1 GiB, not to the byte.
    assertTrue(Math.abs(first - direct) < (1L << 30), first + " against " + direct);
  }

  @Test
  void aFailedLookupIsRetriedOnTheNextCall() throws Exception {
    Path later = dir.resolve("not-yet");
    LongSupplier free = DiskGuard.usableSpaceOf(later);
    assertThrows(UncheckedIOException.class, free::getAsLong);
    Files.createDirectories(later);
    assertTrue(free.getAsLong() > 0);
  }

  @Test
  void refusesBelowTheFloorOnly() {
    long[] free = {1000};
    DiskGuard guard = new DiskGuard(500, () -> free[0]);
    assertNull(guard.refusal());
    free[0] = 499;
    String why = guard.refusal();
    assertNotNull(why);
    assertTrue(why.contains("499 bytes free") && why.contains("disk.free.bytes.min 500"), why);
    free[0] = 500;
    assertEquals(null, guard.refusal());
  }
}
