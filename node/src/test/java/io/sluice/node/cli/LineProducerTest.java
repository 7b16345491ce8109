package io.sluice.node.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LineProducerTest {

  /**
   * Completes each send on another thread, in order, failing the records whose 0-based index
   * matches {@code fails}. flush() waits for the completions queued so far, like the SDK's.
   */
  static final class FakeSender implements LineProducer.Sender {
    final ExecutorService completer = Executors.newSingleThreadExecutor();
    final List<byte[]> keys = new ArrayList<>();
    final List<byte[]> values = new ArrayList<>();
    private final LongPredicate fails;
    private long sent;

    FakeSender(LongPredicate fails) {
      this.fails = fails;
    }

    @Override
    public CompletableFuture<?> send(byte[] key, byte[] value) {
      keys.add(key);
      values.add(value);
      long index = sent++;
      CompletableFuture<Long> future = new CompletableFuture<>();
      completer.execute(
          () -> {
            if (fails.test(index)) {
              future.completeExceptionally(new IllegalStateException("broker said no to " + index));
            } else {
              future.complete(index);
            }
          });
      return future;
    }

    @Override
    public void flush() {
      try {
        completer.submit(() -> {}).get();
      } catch (InterruptedException | ExecutionException e) {
        throw new AssertionError(e);
      }
    }
  }

  private FakeSender sender;

  @AfterEach
  void stopCompleter() {
    if (sender != null) {
      sender.completer.shutdownNow();
    }
  }

  private static LineReader input(String text) {
    return new LineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String numberedLines(int count) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < count; i++) {
      text.append("line ").append(i).append('\n');
    }
    return text.toString();
  }

  private static String report(LineProducer.Summary summary, int[] exitCode) {
    StringWriter err = new StringWriter();
    exitCode[0] = ProduceCommand.report(summary, new PrintWriter(err));
    return err.toString();
  }

  @Test
  void everyRecordAckedExitsZeroWithTheSummaryLine() {
    sender = new FakeSender(index -> false);
    LineProducer.Summary summary =
        new LineProducer(sender, null, Duration.ofSeconds(10)).run(input(numberedLines(1000)));

    assertEquals(1000, summary.records());
    assertEquals(1000, summary.acked());
    assertEquals(0, summary.failed());
    assertTrue(summary.allAcked());
    int[] exitCode = new int[1];
    String err = report(summary, exitCode);
    assertEquals(SluiceCli.EXIT_OK, exitCode[0], err);
    assertTrue(
        err.matches("records=1000 acked=1000 failed=0 seconds=\\d+\\.\\d{3} records/s=\\d+\\R"),
        err);
  }

  @Test
  void failedRecordsAreCountedAndExitOne() {
    sender = new FakeSender(index -> index % 10 == 3);
    LineProducer.Summary summary =
        new LineProducer(sender, null, Duration.ofSeconds(10)).run(input(numberedLines(100)));

    assertEquals(100, summary.records());
    assertEquals(90, summary.acked());
    assertEquals(10, summary.failed());
    assertEquals("broker said no to 3", summary.firstFailure().getMessage());
    int[] exitCode = new int[1];
    String err = report(summary, exitCode);
    assertEquals(SluiceCli.EXIT_FAILED, exitCode[0], err);
    assertTrue(err.startsWith("records=100 acked=90 failed=10 "), err);
    assertTrue(
        err.contains(
            "sluice: error: 10 of 100 records were not acknowledged"
                + " (first failure: broker said no to 3)"),
        err);
  }

  @Test
  void recordsThatNeverCompleteAreNotAcked() {
    LineProducer.Sender silent =
        new LineProducer.Sender() {
          @Override
          public CompletableFuture<?> send(byte[] key, byte[] value) {
            return new CompletableFuture<>();
          }

          @Override
          public void flush() {}
        };
    LineProducer.Summary summary =
        new LineProducer(silent, null, Duration.ofMillis(100)).run(input("a\nb\nc\n"));

    assertEquals(3, summary.records());
    assertEquals(0, summary.acked());
    assertEquals(0, summary.failed());
    assertEquals(3, summary.notAcked());
    int[] exitCode = new int[1];
    String err = report(summary, exitCode);
    assertEquals(SluiceCli.EXIT_FAILED, exitCode[0], err);
    assertTrue(err.contains("3 of 3 records were not acknowledged"), err);
  }

  @Test
  void sendThrowingIsAFailedRecordNotACrash() {
    LineProducer.Sender throwing =
        new LineProducer.Sender() {
          @Override
          public CompletableFuture<?> send(byte[] key, byte[] value) {
            throw new IllegalStateException("producer closed");
          }

          @Override
          public void flush() {}
        };
    LineProducer.Summary summary =
        new LineProducer(throwing, null, Duration.ofSeconds(1)).run(input("a\nb\n"));

    assertEquals(2, summary.failed());
    assertEquals("producer closed", summary.firstFailure().getMessage());
  }

  @Test
  void keySeparatorSplitsKeysAndLeavesUnseparatedLinesKeyless() {
    sender = new FakeSender(index -> false);
    KeySplitter splitter = new KeySplitter(":".getBytes(StandardCharsets.UTF_8));
    LineProducer.Summary summary =
        new LineProducer(sender, splitter, Duration.ofSeconds(10))
            .run(input("user-1:clicked\nno key here\nuser-2:a:b\n"));

    assertEquals(3, summary.acked());
    assertArrayEquals("user-1".getBytes(StandardCharsets.UTF_8), sender.keys.get(0));
    assertArrayEquals("clicked".getBytes(StandardCharsets.UTF_8), sender.values.get(0));
    assertNull(sender.keys.get(1));
    assertArrayEquals("no key here".getBytes(StandardCharsets.UTF_8), sender.values.get(1));
    assertArrayEquals("a:b".getBytes(StandardCharsets.UTF_8), sender.values.get(2));
  }

  @Test
  void withoutSeparatorTheWholeLineIsTheValue() {
    sender = new FakeSender(index -> false);
    new LineProducer(sender, null, Duration.ofSeconds(10)).run(input("k:v\n"));

    assertNull(sender.keys.get(0));
    assertArrayEquals("k:v".getBytes(StandardCharsets.UTF_8), sender.values.get(0));
  }

  @Test
  void inputErrorStopsReadingAndExitsOne() {
    sender = new FakeSender(index -> false);
    LineReader reader =
        new LineReader(
            new ByteArrayInputStream(
                "ok\nthis line is too long\nnever read\n".getBytes(StandardCharsets.UTF_8)),
            8);
    LineProducer.Summary summary =
        new LineProducer(sender, null, Duration.ofSeconds(10)).run(reader);

    assertEquals(1, summary.records());
    assertEquals(1, summary.acked());
    assertNotNull(summary.inputError());
    int[] exitCode = new int[1];
    String err = report(summary, exitCode);
    assertEquals(SluiceCli.EXIT_FAILED, exitCode[0], err);
    assertTrue(err.contains("sluice: error: reading standard input stopped: line 2"), err);
  }

  /** 200,000 lines of 1 KiB, the size the brief asks to handle quickly. */
  @Test
  void twoHundredThousandKibibyteLinesGoThroughInSeconds() {
    int lines = 200_000;
    byte[] line = new byte[1024];
    Arrays.fill(line, (byte) 'x');
    line[1023] = '\n';
    // Generated on the fly: 200 MiB of input should not have to sit in the test's heap.
    InputStream input =
        new InputStream() {
          long position;
          final long length = (long) lines * line.length;

          @Override
          public int read() {
            return position < length ? line[(int) (position++ % line.length)] : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            if (position >= length) {
              return -1;
            }
            int n = (int) Math.min(len, length - position);
            for (int i = 0; i < n; i++) {
              b[off + i] = line[(int) ((position + i) % line.length)];
            }
            position += n;
            return n;
          }
        };
    LineProducer.Sender immediate =
        new LineProducer.Sender() {
          @Override
          public CompletableFuture<?> send(byte[] key, byte[] value) {
            if (value.length != 1023) {
              throw new IllegalStateException("value of " + value.length + " bytes");
            }
            return CompletableFuture.completedFuture(value.length);
          }

          @Override
          public void flush() {}
        };
    long start = System.nanoTime();
    LineProducer.Summary summary =
        new LineProducer(immediate, null, Duration.ofSeconds(10)).run(new LineReader(input));
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;

    assertEquals(lines, summary.acked());
    assertTrue(elapsedMs < 10_000, "took " + elapsedMs + " ms");
  }
}
