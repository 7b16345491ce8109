package io.sluice.chaos.history;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Records a history as JSON lines (docs/history-format.md), one event per line, flushed as it goes
 * so a crashed run still leaves a readable history.
 *
 * <p>Usage: {@code HistoryWriter.Op op = history.invoke("p1", OpValue.Send.of("t", 0, null, "p1-7"));}
 * then exactly one of {@code op.ok(send.acknowledged(0, 41))}, {@code op.fail("rejected: ...")}
 * (certainly not written) or {@code op.info("deadline exceeded")} (outcome unknown). Faults are
 * recorded with {@link #nemesisStart} and {@link #nemesisEnd}.
 *
 * <p>Thread-safe: any number of client threads may record at once. Indexes are assigned, times taken
 * and lines written under one lock, so index order, time order and file order agree. Times are
 * monotonic nanoseconds ({@code System.nanoTime()} by default) since the writer was created.
 */
public final class HistoryWriter implements Closeable {

  private final Writer out;
  private final List<Event> memory;
  private final LongSupplier nanoClock;
  private final long startNanos;
  private long nextIndex;
  private long nextOpId;
  private boolean closed;

  private HistoryWriter(Writer out, boolean keepInMemory, LongSupplier nanoClock) {
    this.out = out;
    this.memory = keepInMemory ? new ArrayList<>() : null;
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.startNanos = nanoClock.getAsLong();
  }

  /** Creates (or truncates) {@code file} and records into it. */
  public static HistoryWriter create(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return new HistoryWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), false, System::nanoTime);
  }

  /** Records into {@code out} (closed with this writer). */
  public static HistoryWriter to(Writer out) {
    return new HistoryWriter(new BufferedWriter(out), false, System::nanoTime);
  }

  /** Keeps the events in memory only; read them with {@link #events()}. For tests and small runs. */
  public static HistoryWriter inMemory() {
    return new HistoryWriter(null, true, System::nanoTime);
  }

  /** Like {@link #inMemory()} with a given clock (nanoseconds), for deterministic tests. */
  public static HistoryWriter inMemory(LongSupplier nanoClock) {
    return new HistoryWriter(null, true, nanoClock);
  }

  /** Starts an operation of {@code process}; complete the returned handle exactly once. */
  public Op invoke(String process, OpValue value) {
    Objects.requireNonNull(value, "value");
    if (value.function().isObservation()) {
      throw new IllegalArgumentException(value.function().jsonName() + " is not an operation: use its own method");
    }
    long id;
    synchronized (this) {
      id = nextOpId++;
      append(process, OpType.INVOKE, value.function(), id, value, null);
    }
    return new Op(id, process, value);
  }

  /** Records that a fault started. {@code id} must be repeated by its {@link #nemesisEnd}. */
  public void nemesisStart(String id, String fault, String description, List<String> nodes) {
    synchronized (this) {
      append("nemesis", OpType.INFO, OpFunction.NEMESIS, Event.NO_OP,
          new OpValue.Nemesis(OpValue.Nemesis.START, id, fault, description, nodes), null);
    }
  }

  /** Records that the fault started with the same {@code id} ended (healed). */
  public void nemesisEnd(String id, String fault, String description, List<String> nodes) {
    synchronized (this) {
      append("nemesis", OpType.INFO, OpFunction.NEMESIS, Event.NO_OP,
          new OpValue.Nemesis(OpValue.Nemesis.END, id, fault, description, nodes), null);
    }
  }

  /** Records that {@code process} (a consumer) now reads the given partitions from the given offsets. */
  public void assign(String process, OpValue.Assign assign) {
    synchronized (this) {
      append(process, OpType.INFO, OpFunction.ASSIGN, Event.NO_OP, assign, null);
    }
  }

  /** Nanoseconds since this writer was created, on the clock the events use. */
  public long nowNs() {
    return nanoClock.getAsLong() - startNanos;
  }

  /** The events recorded so far, when created with {@link #inMemory()}. */
  public synchronized List<Event> events() {
    if (memory == null) {
      throw new IllegalStateException("this writer does not keep events in memory");
    }
    return List.copyOf(memory);
  }

  /** How many events were recorded. */
  public synchronized long eventCount() {
    return nextIndex;
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (out != null) {
      out.close();
    }
  }

  private void append(String process, OpType type, OpFunction f, long op, OpValue value, String error) {
    // Called with the lock held: index, time and file position are assigned together.
    if (closed) {
      throw new IllegalStateException("history is closed");
    }
    Event event = new Event(nextIndex, nowNs(), process, type, f, op, value, error);
    if (out != null) {
      try {
        out.write(HistoryJson.toLine(event));
        out.write('\n');
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the history", e);
      }
    }
    if (memory != null) {
      memory.add(event);
    }
    nextIndex++;
  }

  /**
   * One operation in flight. Exactly one of {@link #ok}, {@link #fail}, {@link #info} must be called;
   * a second call throws. Thread-safe (completion may happen on any thread).
   */
  public final class Op {
    private final long id;
    private final String process;
    private final OpValue invoked;
    private boolean completed;

    private Op(long id, String process, OpValue invoked) {
      this.id = id;
      this.process = process;
      this.invoked = invoked;
    }

    public long id() {
      return id;
    }

    public String process() {
      return process;
    }

    /** The value given at invoke. */
    public OpValue invoked() {
      return invoked;
    }

    /** The operation took effect; {@code value} carries what it observed (offsets, reads). */
    public void ok(OpValue value) {
      complete(OpType.OK, Objects.requireNonNull(value, "value"), null);
    }

    /** The operation certainly did not take effect. */
    public void fail(String error) {
      complete(OpType.FAIL, invoked, error);
    }

    /** The outcome is unknown: a write may or may not have happened. */
    public void info(String error) {
      complete(OpType.INFO, invoked, error);
    }

    /** Whether a completion was recorded. */
    public boolean isCompleted() {
      synchronized (HistoryWriter.this) {
        return completed;
      }
    }

    private void complete(OpType type, OpValue value, String error) {
      if (value.function() != invoked.function()) {
        throw new IllegalArgumentException("completion of a " + invoked.function().jsonName()
            + " with a " + value.function().jsonName() + " value");
      }
      synchronized (HistoryWriter.this) {
        if (completed) {
          throw new IllegalStateException("operation " + id + " of " + process + " already completed");
        }
        completed = true;
        append(process, type, invoked.function(), id, value, error);
      }
    }
  }
}
