package io.sluice.chaos;

import io.sluice.testcontainers.SluiceClusterNode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Network faults between the cluster's own containers: iptables rules inside each node's network
 * namespace, entered from the host with {@code nsenter -t PID -n} (the image needs no iptables).
 * Traffic from the host (the test's clients) is never blocked. Thread-safe (stateless).
 */
final class Net {
  private Net() {}

  /** Drops every packet between each node of {@code a} and each node of {@code b}, both ways. */
  static void cut(Collection<SluiceClusterNode> a, Collection<SluiceClusterNode> b) {
    for (SluiceClusterNode x : a) {
      for (SluiceClusterNode y : b) {
        if (x != y) {
          drop(x, y);
          drop(y, x);
        }
      }
    }
  }

  /** Removes every rule this class added in {@code node}'s namespace (no-op when it is not running). */
  static void heal(SluiceClusterNode node) {
    long pid = node.hostPid();
    if (pid <= 0) {
      return; // a restarted container gets a fresh namespace with no rules
    }
    Shell.run(nsenter(pid, "-F", "INPUT"));
    Shell.run(nsenter(pid, "-F", "OUTPUT"));
  }

  private static void drop(SluiceClusterNode in, SluiceClusterNode peer) {
    long pid = in.hostPid();
    if (pid <= 0) {
      return;
    }
    Shell.run(nsenter(pid, "-A", "INPUT", "-s", peer.ip(), "-j", "DROP"));
    Shell.run(nsenter(pid, "-A", "OUTPUT", "-d", peer.ip(), "-j", "DROP"));
  }

  private static List<String> nsenter(long pid, String... iptablesArgs) {
    List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(pid), "-n", "iptables", "-w", "5"));
    cmd.addAll(List.of(iptablesArgs));
    return cmd;
  }
}
