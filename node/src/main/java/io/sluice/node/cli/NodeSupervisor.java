package io.sluice.node.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Runs the node processes of a local cluster: starts them with their output in their log file,
 * reports one that exits on its own (with the command that restarts it), and stops them all on
 * shutdown.
 *
 * <p>Thread-safe: exits are reported on the JDK's process-reaper threads, and {@link #stopAll()}
 * runs in a shutdown hook.
 */
final class NodeSupervisor {

  /** How long the nodes get to stop after SIGTERM before they are killed. */
  static final Duration STOP_GRACE_DEFAULT = Duration.ofSeconds(10);

  /**
   * Ctrl-C in a terminal signals the children as well as this process, so a child may exit a moment
   * before our shutdown hook has marked the stop as intended. Waiting this long before reporting an
   * exit keeps a normal Ctrl-C from being reported as a crash.
   */
  private static final long EXIT_REPORT_DELAY_MS = 500;

  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  /** A started node. */
  record Child(LocalClusterPlan.Node node, Process process) {}

  private final PrintWriter out;
  private final PrintWriter err;
  private final Function<LocalClusterPlan.Node, String> restartCommand;
  private final Duration stopGrace;
  private final List<Child> children = new CopyOnWriteArrayList<>();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final CountDownLatch allExited;

  /**
   * @param nodeCount how many nodes will be started
   * @param restartCommand the shell command that restarts a node by hand, for exit reports
   * @param stopGrace how long the nodes get, together, to stop after SIGTERM before SIGKILL
   */
  NodeSupervisor(
      PrintWriter out,
      PrintWriter err,
      int nodeCount,
      Function<LocalClusterPlan.Node, String> restartCommand,
      Duration stopGrace) {
    this.out = out;
    this.err = err;
    this.restartCommand = restartCommand;
    this.stopGrace = stopGrace;
    this.allExited = new CountDownLatch(nodeCount);
  }

  /** Starts one node; its standard output and error are appended to its log file. */
  Child start(LocalClusterPlan.Node node, List<String> command) throws IOException {
    Files.createDirectories(node.dataDir());
    Files.writeString(
        node.logFile(),
        "--- "
            + Instant.now()
            + " local-cluster starts "
            + node.id()
            + ": "
            + String.join(" ", command)
            + System.lineSeparator(),
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(Redirect.appendTo(node.logFile().toFile()))
            .start();
    Child child = new Child(node, process);
    children.add(child);
    process.onExit().thenRun(() -> onExit(child));
    return child;
  }

  private void onExit(Child child) {
    try {
      if (stopping.get()) {
        return;
      }
      Thread.sleep(EXIT_REPORT_DELAY_MS);
      if (!stopping.get()) {
        err.printf(
            "%snode %s (pid %d) exited with code %d; log: %s; restart it with: %s%n",
            CliErrors.PREFIX,
            child.node().id(),
            child.process().pid(),
            child.process().exitValue(),
            child.node().logFile(),
            restartCommand.apply(child.node()));
        err.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      allExited.countDown();
    }
  }

  boolean anyAlive() {
    return children.stream().anyMatch(child -> child.process().isAlive());
  }

  boolean isStopping() {
    return stopping.get();
  }

  /** Blocks until every started node has exited. */
  void awaitAllExited() throws InterruptedException {
    allExited.await();
  }

  /**
   * Stops every node still running: SIGTERM, up to the stop grace for all of them together, then
   * SIGKILL for the rest. Runs once; later calls return at once.
   */
  void stopAll() {
    if (!stopping.compareAndSet(false, true)) {
      return;
    }
    List<Child> alive = children.stream().filter(child -> child.process().isAlive()).toList();
    out.printf("stopping %d node%s...%n", alive.size(), alive.size() == 1 ? "" : "s");
    alive.forEach(child -> child.process().destroy());
    long deadlineNanos = System.nanoTime() + stopGrace.toNanos();
    for (Child child : alive) {
      stopOne(child, deadlineNanos);
    }
    out.println("local cluster stopped");
    out.flush();
  }

  private void stopOne(Child child, long deadlineNanos) {
    Process process = child.process();
    try {
      long remainingNanos = Math.max(0, deadlineNanos - System.nanoTime());
      if (process.waitFor(remainingNanos, TimeUnit.NANOSECONDS)) {
        out.printf(
            "stopped %s (pid %d, exit code %d)%n",
            child.node().id(), process.pid(), process.exitValue());
        return;
      }
      process.destroyForcibly();
      process.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      out.printf(
          "killed %s (pid %d): it did not stop within %d ms of SIGTERM%n",
          child.node().id(), process.pid(), stopGrace.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
