package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.client.IndeterminateException;
import io.sluice.client.SluiceException;
import io.sluice.client.UnavailableException;
import io.sluice.client.WriteOutcome;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class CliErrorsTest {

  @Test
  void describeUnwrapsFutureWrappers() {
    Throwable wrapped =
        new ExecutionException(new CompletionException(new IOException("connection refused")));
    assertEquals("connection refused", CliErrors.describe(wrapped));
  }

  @Test
  void describeFallsBackToTheClassNameWithoutAMessage() {
    assertEquals("IllegalStateException", CliErrors.describe(new IllegalStateException()));
  }

  @Test
  void awaitRethrowsTheFailureUnwrapped() {
    CompletableFuture<String> failed =
        CompletableFuture.failedFuture(new IllegalArgumentException("bad name"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Await.get(failed, 1000, "creating topic 'x'"));
    assertEquals("bad name", e.getMessage());
  }

  @Test
  void awaitTimeoutSaysWhatItWasWaitingFor() {
    CompletableFuture<String> never = new CompletableFuture<>();
    CliException e = assertThrows(CliException.class, () -> Await.get(never, 10, "listing topics"));
    assertEquals("timed out after 10 ms listing topics", e.getMessage());
    assertTrue(never.isCancelled());
  }

  @Test
  void sluiceErrorsGainTheConnectionFailureTheyHide() {
    Throwable refused =
        new java.net.ConnectException(
            "finishConnect(..) failed with error(-111): Connection refused");
    SluiceException ex =
        new UnavailableException(
            "io exception (UNAVAILABLE from 127.0.0.1:1)",
            null,
            WriteOutcome.NOT_WRITTEN,
            new RuntimeException("UNAVAILABLE: io exception", refused));
    assertEquals(
        "io exception (UNAVAILABLE from 127.0.0.1:1): Connection refused", CliErrors.describe(ex));
  }

  @Test
  void indeterminateErrorsSayTheOutcomeIsUnknown() {
    SluiceException ex =
        new IndeterminateException("commit timed out", null, "COMMIT_TIMEOUT", null);
    assertEquals(
        "commit timed out (the outcome is unknown: it may have been applied)",
        CliErrors.describe(new CompletionException(ex)));
  }
}
