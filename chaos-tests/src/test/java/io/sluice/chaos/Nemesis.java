package io.sluice.chaos;

import io.sluice.client.IndeterminateException;
import io.sluice.client.SluiceClient;
import io.sluice.client.SluiceException;
import io.sluice.testcontainers.SluiceCluster;
import io.sluice.testcontainers.SluiceClusterNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One kind of fault. {@link #start} injects a fault chosen with the given random source (seeded
 * by the scenario) and returns how to heal it; the runner logs both into the history. Nemeses
 * are used from the runner's single thread only.
 */
interface Nemesis {
  /** The history's {@code fault} kind: partition, kill, pause, membership, clock. */
  String kind();

  /** Injects one fault. */
  Active start(Env env, Random random);

  /** A fault in force: what it is, which nodes it hits, and how to end it. */
  record Active(String description, List<String> nodes, Runnable heal, String healDescription) {}

  /** What nemeses act on. */
  record Env(SluiceCluster cluster, SluiceClient client, Path clockDir) {
    SluiceClusterNode leaderOr(Random random) {
      return cluster.leader().orElseGet(() -> pick(random, cluster.nodes(), 1).get(0));
    }
  }

  static List<SluiceClusterNode> pick(Random random, List<SluiceClusterNode> from, int count) {
    List<SluiceClusterNode> copy = new ArrayList<>(from);
    Collections.shuffle(copy, random);
    return List.copyOf(copy.subList(0, count));
  }

  static List<String> ids(List<SluiceClusterNode> nodes) {
    return nodes.stream().map(SluiceClusterNode::id).toList();
  }

  /** Partitions: isolate one node, isolate the leader, random halves, a majority bridge. */
  final class Partition implements Nemesis {
    @Override
    public String kind() {
      return "partition";
    }

    @Override
    public Active start(Env env, Random random) {
      List<SluiceClusterNode> all = env.cluster().nodes();
      int shape = random.nextInt(4);
      List<SluiceClusterNode> a;
      List<SluiceClusterNode> b;
      String what;
      switch (shape) {
        case 0 -> {
          a = pick(random, all, 1);
          what = "isolate " + a.get(0).id();
        }
        case 1 -> {
          a = List.of(env.leaderOr(random));
          what = "isolate the leader " + a.get(0).id();
        }
        case 2 -> {
          List<SluiceClusterNode> shuffled = pick(random, all, all.size());
          a = shuffled.subList(0, all.size() / 2);
          what = "halves " + ids(a) + " | " + ids(shuffled.subList(all.size() / 2, all.size()));
        }
        default -> {
          // Two minorities that both see one bridge node: each side has a majority with it.
          List<SluiceClusterNode> shuffled = pick(random, all, all.size());
          int side = (all.size() - 1) / 2;
          a = shuffled.subList(0, side);
          b = shuffled.subList(side, 2 * side);
          Net.cut(a, b);
          String bridge = shuffled.get(all.size() - 1).id();
          return healing(env, "bridge " + ids(a) + " | " + ids(b) + " via " + bridge, all);
        }
      }
      b = all.stream().filter(n -> !a.contains(n)).toList();
      Net.cut(a, b);
      return healing(env, what, a);
    }

    private static Active healing(Env env, String what, List<SluiceClusterNode> hit) {
      return new Active(what, ids(hit), () -> env.cluster().nodes().forEach(Net::heal), "heal the network");
    }
  }

  /** kill -9 of one node, of a minority, or of every node; then a restart from disk. */
  final class Kill implements Nemesis {
    @Override
    public String kind() {
      return "kill";
    }

    @Override
    public Active start(Env env, Random random) {
      List<SluiceClusterNode> all = env.cluster().nodes();
      int shape = random.nextInt(4);
      List<SluiceClusterNode> victims = switch (shape) {
        case 0 -> pick(random, all, 1);
        case 1 -> List.of(env.leaderOr(random));
        case 2 -> pick(random, all, (all.size() - 1) / 2);
        default -> all;
      };
      String what = shape == 3 ? "kill -9 every node" : "kill -9 " + ids(victims) + (shape == 1 ? " (leader)" : "");
      victims.forEach(SluiceClusterNode::kill);
      return new Active(what, ids(victims), () -> restart(victims), "restart " + ids(victims));
    }

    static void restart(List<SluiceClusterNode> nodes) {
      CompletableFuture.allOf(nodes.stream().map(n -> CompletableFuture.runAsync(n::start))
          .toArray(CompletableFuture[]::new)).join();
    }
  }

  /** SIGSTOP of one node or of the leader ({@code docker pause}), then SIGCONT. */
  final class Pause implements Nemesis {
    @Override
    public String kind() {
      return "pause";
    }

    @Override
    public Active start(Env env, Random random) {
      boolean leader = random.nextBoolean();
      SluiceClusterNode n = leader ? env.leaderOr(random) : pick(random, env.cluster().nodes(), 1).get(0);
      n.pause();
      return new Active("pause " + n.id() + (leader ? " (leader)" : ""), List.of(n.id()), n::unpause,
          "unpause " + n.id());
    }
  }

  /**
   * Removes a node through the Admin API while writes flow, wipes its disk, and adds it back as
   * a new member (it catches up from the others). Victims are followers or the leader.
   */
  final class Membership implements Nemesis {
    @Override
    public String kind() {
      return "membership";
    }

    @Override
    public Active start(Env env, Random random) {
      SluiceClusterNode n = random.nextInt(3) == 0 ? env.leaderOr(random) : pick(random, env.cluster().nodes(), 1).get(0);
      removeNode(env.client(), n);
      n.remove();
      return new Active("remove " + n.id() + " (Admin.removeNode), wipe its disk", List.of(n.id()), () -> {
        wipe(n.dataDirectory());
        n.recreate(true);
        addNode(env.client(), n);
      }, "add " + n.id() + " back (Admin.addNode, empty disk)");
    }

    private static void wipe(Path dir) {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> {
          try {
            Files.delete(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * Removes {@code n} as an operator would: a removal refused because the leader does not hear
     * from enough of the other voters just now (QUORUM_AT_RISK: e.g. a node re-added a moment ago
     * still catching up, or a slow heartbeat on a loaded machine), or while an earlier change is
     * still being committed, is sent again once the cluster settles; so is one whose outcome is
     * unknown, which the next attempt finds done (UNKNOWN_NODE). Bounded: see {@link #retrying}.
     */
    private static void removeNode(SluiceClient client, SluiceClusterNode n) {
      retrying("remove " + n.id(), () -> client.admin().removeNode(n.id()),
          e -> e instanceof IndeterminateException || reason(e, "RECONFIGURATION_IN_PROGRESS")
              || reason(e, "QUORUM_AT_RISK"), e -> reason(e, "UNKNOWN_NODE"));
    }

    /**
     * Adds {@code n} back, as an operator would: an add whose outcome is unknown (it did not commit
     * in time, e.g. while the empty node catches up under faults) is sent again, which finishes it
     * or finds it done (add-node is idempotent for the same id and address); so is one refused while
     * that earlier change is still being committed. Bounded: see {@link #retrying}.
     */
    private static void addNode(SluiceClient client, SluiceClusterNode n) {
      retrying("add " + n.id(), () -> client.admin().addNode(n.id(), n.raftAddress()),
          e -> e instanceof IndeterminateException || reason(e, "RECONFIGURATION_IN_PROGRESS"), e -> false);
    }

    private static boolean reason(Throwable e, String reason) {
      return e instanceof SluiceException s && reason.equals(s.reason());
    }

    /**
     * Calls {@code call} until it succeeds, or, after an attempt whose outcome was unknown, fails
     * with what {@code done} accepts (that attempt made the change); sends it again, a second
     * apart, after a failure that {@code again} accepts; gives up on anything else, and after 2
     * minutes (a membership change that cannot be made fails the run, not the suite).
     */
    private static void retrying(String what, java.util.function.Supplier<CompletableFuture<?>> call,
        java.util.function.Predicate<Throwable> again, java.util.function.Predicate<Throwable> done) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      boolean earlierUnknown = false;
      while (true) {
        try {
          call.get().get(Duration.ofMinutes(2).toSeconds(), TimeUnit.SECONDS);
          return;
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (earlierUnknown && done.test(cause)) {
            return;
          }
          if (!again.test(cause) || System.nanoTime() > deadline) {
            throw new IllegalStateException(what + " failed: " + e, e);
          }
          earlierUnknown |= cause instanceof IndeterminateException;
          try {
            Thread.sleep(1000);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(what + " interrupted", ie);
          }
        } catch (Exception e) {
          throw new IllegalStateException(what + " failed: " + e, e);
        }
      }
    }
  }

  /**
   * Clock skew through libfaketime in the image: the nodes that run with it (LD_PRELOAD; those
   * with a directory under {@code clockDir}) read their wall-clock offset from a host file
   * (FAKETIME_TIMESTAMP_FILE, re-read every second). Moves their wall clocks by up to ±10 minutes;
   * monotonic time is left alone (Raft timers use it). Heals by setting the offset back to +0.
   */
  final class ClockSkew implements Nemesis {
    static final int SKEW_S_MAX = 600;

    @Override
    public String kind() {
      return "clock";
    }

    @Override
    public Active start(Env env, Random random) {
      List<SluiceClusterNode> skewable = env.cluster().nodes().stream()
          .filter(n -> Files.isDirectory(env.clockDir().resolve(n.id()))).toList();
      if (skewable.isEmpty()) {
        throw new IllegalStateException("no node runs under libfaketime in this scenario");
      }
      List<SluiceClusterNode> hit = pick(random, skewable, 1 + random.nextInt(skewable.size()));
      StringBuilder what = new StringBuilder("skew");
      for (SluiceClusterNode n : hit) {
        int skew = random.nextInt(2 * SKEW_S_MAX + 1) - SKEW_S_MAX;
        write(env.clockDir(), n.id(), (skew >= 0 ? "+" : "") + skew);
        what.append(' ').append(n.id()).append(skew >= 0 ? " +" : " ").append(skew).append('s');
      }
      return new Active(what.toString(), ids(hit), () -> hit.forEach(n -> write(env.clockDir(), n.id(), "+0")),
          "clocks back to +0");
    }

    static void write(Path clockDir, String nodeId, String offset) {
      try {
        Path dir = Files.createDirectories(clockDir.resolve(nodeId));
        Path tmp = dir.resolve("rc.tmp");
        Files.writeString(tmp, offset + "\n");
        Files.move(tmp, dir.resolve("rc"), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
