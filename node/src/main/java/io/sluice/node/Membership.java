package io.sluice.node;

import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.DescribeClusterResponse;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.NodeInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.ReconfigurationInProgressException;
import org.apache.ratis.protocol.exceptions.ReconfigurationTimeoutException;
import org.apache.ratis.protocol.exceptions.SetConfigurationException;
import org.apache.ratis.protocol.exceptions.TransferLeadershipException;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Raft membership of a node's group, and the safe ways to change it, run on the leader
 * through Ratis's {@code setConfiguration} and {@code transferLeadership}:
 *
 * <ul>
 *   <li><b>add</b>: a node started with {@code join} (outside any configuration) is proposed as a
 *       voter. Ratis first <i>stages</i> it: the leader sends it the log (or a snapshot) while it
 *       is not yet in the configuration, so it neither votes nor counts toward a majority, and
 *       only once it is within {@code membership.catchup.lag.entries.max} entries of the leader's
 *       commit index does the leader propose the joint configuration that makes it a voter. A
 *       node that does not answer fails the change with the membership unchanged.
 *   <li><b>remove</b>: refused for an unknown id and when {@link QuorumRule} says the voters left
 *       would not have a reachable majority. The leader removing itself first hands leadership to
 *       the most up-to-date reachable voter, and answers NOT_LEADER so the caller retries there.
 *   <li><b>transfer</b>: Ratis brings the target up to date, then has it start an election.
 * </ul>
 *
 * <p>Why not add a node as a Ratis <i>listener</i> first and promote it later: in Ratis 3.3 a
 * listener bootstrapped through setConfiguration is never marked caught up by the leader. Such a
 * node, once promoted, stays in Ratis's STARTING state (it can neither vote nor lead), the next
 * failed staging silently stops all replication to it, and a leadership transfer to it fails in a
 * way that leaves the leader refusing every write (tried; see the operations notes). Staging gives
 * the same guarantee, a new node catches up before it votes, without those traps.
 *
 * <p>Every change is a compare-and-set against the configuration it was computed from, and one
 * change at a time: Ratis refuses a second one while one is under way.
 *
 * <p>Thread-safe. The change methods block (bounded by their deadline); {@link AdminService}
 * runs them one at a time on its own thread.
 */
final class Membership {
  private static final Logger LOG = LoggerFactory.getLogger(Membership.class);
  private static final Pattern NODE_ID = Pattern.compile("[a-zA-Z0-9._-]{1,64}");
  /** Longest add-node waits, after the promotion, for the new member to register its client address. */
  private static final long REGISTRATION_WAIT_S_MAX = 10;

  /** One member of the current configuration. */
  record Member(String id, String raftAddress, boolean listener) {}

  /**
   * A member's replication progress as the leader sees it.
   *
   * @param commitIndex   the member's commit index as last reported, -1 when not known yet
   * @param lagEntries    the leader's commit index minus commitIndex, -1 when not known
   * @param lastContactMs since the leader last heard from it, -1 when never
   */
  record Progress(String id, boolean listener, long commitIndex, long lagEntries, long lastContactMs) {}

  private final SluiceNode node;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();

  Membership(SluiceNode node) {
    this.node = node;
  }

  // -------------------------------------------------------------------------------------------
  // Reading the membership

  /** The current configuration's voters, then its listeners, each sorted by id. */
  List<Member> members() {
    RaftConfiguration conf = node.division().getRaftConf();
    List<Member> out = new ArrayList<>();
    out.addAll(sorted(conf.getCurrentPeers(RaftPeerRole.FOLLOWER), false));
    out.addAll(sorted(conf.getCurrentPeers(RaftPeerRole.LISTENER), true));
    return out;
  }

  private static List<Member> sorted(Collection<RaftPeer> peers, boolean listener) {
    return peers.stream().map(p -> new Member(p.getId().toString(), p.getAddress(), listener))
        .sorted(Comparator.comparing(Member::id)).toList();
  }

  /** For logs: "n1=host:port,n2=… [listeners n4=…]", or "empty" for a joining node not yet added. */
  String describe() {
    List<Member> all = members();
    if (all.isEmpty()) {
      return "empty";
    }
    StringBuilder voters = new StringBuilder();
    StringBuilder listeners = new StringBuilder();
    for (Member m : all) {
      StringBuilder b = m.listener() ? listeners : voters;
      b.append(b.length() == 0 ? "" : ",").append(m.id()).append('=').append(m.raftAddress());
    }
    return (voters.length() == 0 ? "no voters" : voters) + (listeners.length() == 0 ? "" : " listeners " + listeners);
  }

  /** The members with their client addresses and the leader, as DescribeCluster answers. */
  DescribeClusterResponse describeCluster() {
    Map<String, String> registered = node.core().nodes();
    DescribeClusterResponse.Builder response = DescribeClusterResponse.newBuilder()
        .setClusterId(node.config().clusterId())
        .setNodeId(node.id())
        .setLeaderId(node.leaderId().orElse(""));
    for (Member m : members()) {
      response.addNodes(NodeInfo.newBuilder()
          .setId(m.id())
          .setRaftAddress(m.raftAddress())
          .setClientAddress(registered.getOrDefault(m.id(), ""))
          .setListener(m.listener()));
    }
    return response.build();
  }

  /** On the leader: every other member's progress, in {@link #members()} order. Empty elsewhere. */
  List<Progress> followers() {
    RaftServer.Division division = node.division();
    if (!division.getInfo().isLeader()) {
      return List.of();
    }
    long leaderCommit = division.getRaftLog().getLastCommittedIndex();
    Map<String, Long> commits = commitIndexes(division);
    Map<String, Long> contacts = lastContactMs(division);
    List<Progress> out = new ArrayList<>();
    for (Member m : members()) {
      if (m.id().equals(node.id())) {
        continue;
      }
      long commit = commits.getOrDefault(m.id(), -1L);
      out.add(new Progress(m.id(), m.listener(), commit, commit < 0 ? -1 : Math.max(0, leaderCommit - commit),
          contacts.getOrDefault(m.id(), -1L)));
    }
    return out;
  }

  private Optional<Progress> progressOf(String id) {
    return followers().stream().filter(p -> p.id().equals(id)).findFirst();
  }

  /** Each member's commit index as the leader last heard it (its own included). */
  private static Map<String, Long> commitIndexes(RaftServer.Division division) {
    Map<String, Long> out = new HashMap<>();
    for (CommitInfoProto info : division.getCommitInfos()) {
      out.put(info.getServer().getId().toStringUtf8(), info.getCommitIndex());
    }
    return out;
  }

  /** Milliseconds since the leader last had an answer from each follower and listener. */
  private static Map<String, Long> lastContactMs(RaftServer.Division division) {
    Map<String, Long> out = new HashMap<>();
    RoleInfoProto role = division.getInfo().getRoleInfoProto();
    if (role.hasLeaderInfo()) {
      for (ServerRpcProto f : role.getLeaderInfo().getFollowerInfoList()) {
        out.put(f.getId().getId().toStringUtf8(), f.getLastRpcElapsedTimeMs());
      }
    }
    return out;
  }

  /** Voters the leader (this node) heard from within an election timeout, itself included. */
  private Set<String> reachableVoters() {
    long recentMs = node.config().getLong(NodeConfig.ELECTION_TIMEOUT_MAX_MS);
    Set<String> out = new LinkedHashSet<>();
    out.add(node.id());
    for (Progress p : followers()) {
      if (!p.listener() && p.lastContactMs() >= 0 && p.lastContactMs() <= recentMs) {
        out.add(p.id());
      }
    }
    return out;
  }

  /** The reachable voter, other than {@code excluded}, with the highest commit index. */
  Optional<String> handOffTarget(String excluded) {
    Set<String> reachable = reachableVoters();
    return followers().stream()
        .filter(p -> !p.listener() && !p.id().equals(excluded) && reachable.contains(p.id()))
        .max(Comparator.comparingLong(Progress::commitIndex).thenComparing(Progress::id, Comparator.reverseOrder()))
        .map(Progress::id);
  }

  // -------------------------------------------------------------------------------------------
  // Changing it (leader only)

  /** Adds {@code id} as a listener, waits until it caught up, then promotes it to voter. */
  DescribeClusterResponse add(String id, String raftAddress, long deadlineNanos) {
    requireLeader();
    checkNodeId(id);
    String address;
    try {
      address = HostPort.parse(raftAddress, "raft address").toString();
    } catch (IllegalArgumentException e) {
      throw Errors.notWritten(ErrorReason.INVALID_REQUEST, e.getMessage());
    }
    requireStable();
    Member existing = null;
    for (Member m : members()) {
      if (m.id().equals(id)) {
        existing = m;
      } else if (m.raftAddress().equals(address)) {
        throw Errors.notWritten(ErrorReason.NODE_EXISTS, "Raft address " + address + " belongs to member " + m.id());
      }
    }
    if (existing != null && !existing.raftAddress().equals(address)) {
      throw Errors.notWritten(ErrorReason.NODE_EXISTS, id + " is already a member, with Raft address "
          + existing.raftAddress() + "; to move it, remove-node " + id + " first");
    }
    if (existing != null && existing.listener()) {
      throw Errors.notWritten(ErrorReason.NODE_EXISTS, id + " is a listener (non-voting member); remove-node " + id
          + " and add it again to make it a voter");
    }
    if (existing != null) {
      return describeCluster(); // a voter already: nothing to do (a retried add-node lands here)
    }
    RaftPeer peer = RaftPeer.newBuilder().setId(id).setAddress(address).build();
    LOG.info("adding {} at {}: Ratis stages it (sends it the log) before it becomes a voter", id, address);
    setConfiguration(peers(RaftPeerRole.FOLLOWER, null, peer), peers(RaftPeerRole.LISTENER, null, null),
        "adding " + id, deadlineNanos, id + " at " + address);
    awaitRegistered(id, Math.min(deadlineNanos, System.nanoTime() + TimeUnit.SECONDS.toNanos(REGISTRATION_WAIT_S_MAX)));
    return describeCluster();
  }

  /**
   * Waits (briefly) until the new member has announced its client address, so clients can use it
   * as soon as add-node returns. Not an error when it has not: the answer then shows it empty.
   */
  private void awaitRegistered(String id, long deadlineNanos) {
    while (!node.core().nodes().containsKey(id) && System.nanoTime() < deadlineNanos) {
      sleep(50);
    }
  }

  /** Removes a listener, or a voter when {@link QuorumRule} allows it. */
  DescribeClusterResponse remove(String id, long deadlineNanos) {
    requireLeader();
    checkNodeId(id);
    requireStable();
    Member member = members().stream().filter(m -> m.id().equals(id)).findFirst()
        .orElseThrow(() -> Errors.notWritten(ErrorReason.UNKNOWN_NODE, "no member has id '" + id
            + "'; the members are " + describe()));
    if (member.listener()) {
      setConfiguration(peers(RaftPeerRole.FOLLOWER, null, null), peers(RaftPeerRole.LISTENER, id, null),
          "removing listener " + id, deadlineNanos, id);
      return describeCluster();
    }
    List<String> voters = members().stream().filter(m -> !m.listener()).map(Member::id).toList();
    String refusal = QuorumRule.removalRefusal(voters, id, reachableVoters());
    if (refusal != null) {
      throw Errors.notWritten(ErrorReason.QUORUM_AT_RISK, "refusing to remove " + id + ": " + refusal);
    }
    if (id.equals(node.id())) {
      String target = handOffTarget(id).orElseThrow(() -> Errors.notWritten(ErrorReason.QUORUM_AT_RISK,
          "refusing to remove the leader " + id + ": no other voter is reachable to take over"));
      transfer(target, deadlineNanos);
      // Now a follower: the caller retries on the new leader, which removes this node.
      StatusRuntimeException moved = node.leaderRefusal();
      throw moved != null ? moved : Errors.notWritten(ErrorReason.NO_LEADER, "leadership moved to " + target
          + " before removing " + id + "; retry");
    }
    LOG.info("removing voter {}", id);
    setConfiguration(peers(RaftPeerRole.FOLLOWER, id, null), peers(RaftPeerRole.LISTENER, null, null),
        "removing " + id, deadlineNanos, id);
    return describeCluster();
  }

  /** Makes {@code id} the leader; answers the leader's id afterwards. */
  String transferLeader(String id, long deadlineNanos) {
    requireLeader();
    checkNodeId(id);
    Member member = members().stream().filter(m -> m.id().equals(id)).findFirst()
        .orElseThrow(() -> Errors.notWritten(ErrorReason.UNKNOWN_NODE, "no member has id '" + id
            + "'; the members are " + describe()));
    if (member.listener()) {
      throw Errors.notWritten(ErrorReason.LEADER_TRANSFER_FAILED, id + " is a listener (not caught up yet, so"
          + " not a voter); only voters can lead");
    }
    if (id.equals(node.id())) {
      return id;
    }
    requireStable();
    transfer(id, deadlineNanos);
    return id;
  }

  /**
   * For a graceful stop: hands leadership to the best reachable follower, if any. Logs, never throws.
   *
   * @return the node that leads now, when the hand-off succeeded
   */
  Optional<String> handOffLeadership() {
    Optional<String> target = handOffTarget(node.id());
    if (target.isEmpty()) {
      LOG.warn("node {}: no reachable follower to hand leadership to; stopping as leader (the others elect"
          + " one after an election timeout)", node.id());
      return Optional.empty();
    }
    long deadline = System.nanoTime()
        + TimeUnit.MILLISECONDS.toNanos(node.config().getLong(NodeConfig.LEADER_TRANSFER_TIMEOUT_MS));
    try {
      transfer(target.get(), deadline);
      LOG.info("node {}: handed leadership to {} before stopping", node.id(), target.get());
      return target;
    } catch (StatusRuntimeException e) {
      LOG.warn("node {}: could not hand leadership to {} before stopping: {}", node.id(), target.get(),
          e.getStatus().getDescription());
      return Optional.empty();
    }
  }

  private void transfer(String target, long deadlineNanos) {
    // Ratis needs the leader to be replicating to the target (and mishandles it when it is not).
    long recentMs = node.config().getLong(NodeConfig.ELECTION_TIMEOUT_MAX_MS);
    Optional<Progress> progress = progressOf(target);
    if (progress.isEmpty() || progress.get().lastContactMs() < 0 || progress.get().lastContactMs() > recentMs) {
      throw Errors.notWritten(ErrorReason.LEADER_TRANSFER_FAILED, "could not hand leadership from " + node.id()
          + " to " + target + ": the leader has not heard from it in the last " + recentMs + " ms"
          + progress.map(p -> " (last contact " + p.lastContactMs() + " ms ago)").orElse(""));
    }
    // Half the time at most for the writes in flight: they normally commit within milliseconds.
    long drainMs = Math.min(node.config().getLong(NodeConfig.DRAIN_TIMEOUT_MS), remainingMs(deadlineNanos) / 2);
    long timeoutMs = 0;
    RaftClientReply reply;
    try {
      if (!node.holdWrites(drainMs)) {
        LOG.warn("writes still in flight on {} after {} ms; transferring leadership anyway", node.id(), drainMs);
      }
      timeoutMs = Math.min(node.config().getLong(NodeConfig.LEADER_TRANSFER_TIMEOUT_MS), remainingMs(deadlineNanos));
      TransferLeadershipRequest request = new TransferLeadershipRequest(clientId, node.raftServer().getId(),
          node.groupId(), callIds.incrementAndGet(), RaftPeerId.valueOf(target), timeoutMs);
      LOG.info("transferring leadership from {} to {} (at most {} ms)", node.id(), target, timeoutMs);
      reply = node.raftServer().transferLeadershipAsync(request).get(timeoutMs + 2000, TimeUnit.MILLISECONDS);
    } catch (IOException | ExecutionException | InterruptedException | TimeoutException e) {
      throw transferFailure(target, timeoutMs, failureOf(e));
    } finally {
      node.releaseWrites();
    }
    if (!reply.isSuccess()) {
      throw transferFailure(target, timeoutMs, reply.getException());
    }
  }

  private StatusRuntimeException transferFailure(String target, long timeoutMs, Throwable e) {
    if (e instanceof NotLeaderException || e instanceof LeaderNotReadyException) {
      return notLeaderNow();
    }
    String why = e instanceof TransferLeadershipException || e instanceof TimeoutException
        ? "it was not done within " + timeoutMs + " ms (is " + target + " reachable and keeping up?)"
        : String.valueOf(e);
    return Errors.notWritten(ErrorReason.LEADER_TRANSFER_FAILED, "could not hand leadership from " + node.id()
        + " to " + target + ": " + why + (e == null || e.getMessage() == null ? "" : " [" + e.getMessage() + "]"));
  }

  /** Asks Ratis to snapshot this node now; completes with the index the latest snapshot covers. */
  CompletableFuture<Long> takeSnapshot(long timeoutMs) {
    SnapshotManagementRequest request = SnapshotManagementRequest.newCreate(clientId, node.raftServer().getId(),
        node.groupId(), callIds.incrementAndGet(), timeoutMs, 1);
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = node.raftServer().snapshotManagementAsync(request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(snapshotFailure(e));
    }
    return reply.orTimeout(timeoutMs + 1000, TimeUnit.MILLISECONDS).handle((r, e) -> {
      Throwable failure = e != null ? failureOf(e) : r.isSuccess() ? null : r.getException();
      if (failure != null) {
        throw new CompletionException(snapshotFailure(failure));
      }
      return node.stateMachine().latestSnapshotIndex();
    });
  }

  private StatusRuntimeException snapshotFailure(Throwable e) {
    return Errors.notWritten(ErrorReason.NODE_NOT_READY, "node " + node.id() + " could not take a snapshot now: "
        + (e instanceof TimeoutException ? "timed out" : String.valueOf(e.getMessage())) + "; retry");
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The current peers of {@code role}, without {@code without} (an id, or null) and with
   * {@code with} (or null).
   */
  private List<RaftPeer> peers(RaftPeerRole role, String without, RaftPeer with) {
    List<RaftPeer> out = new ArrayList<>();
    for (RaftPeer p : node.division().getRaftConf().getCurrentPeers(role)) {
      if (!p.getId().toString().equals(without) && (with == null || !p.getId().equals(with.getId()))) {
        out.add(p);
      }
    }
    if (with != null) {
      out.add(with);
    }
    return out;
  }

  /**
   * Proposes the configuration (voters, listeners) if the current one is still what it was
   * computed from, and waits until it commits.
   *
   * @param what   for messages, e.g. "adding n4 as a listener"
   * @param target the node concerned, for messages, e.g. "n4 at 10.0.0.4:7170"
   */
  private void setConfiguration(List<RaftPeer> voters, List<RaftPeer> listeners, String what,
      long deadlineNanos, String target) {
    RaftConfiguration conf = node.division().getRaftConf();
    SetConfigurationRequest.Arguments arguments = SetConfigurationRequest.Arguments.newBuilder()
        .setServersInNewConf(voters)
        .setListenersInNewConf(listeners)
        .setServersInCurrentConf(List.copyOf(conf.getCurrentPeers(RaftPeerRole.FOLLOWER)))
        .setListenersInCurrentConf(List.copyOf(conf.getCurrentPeers(RaftPeerRole.LISTENER)))
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
        .build();
    SetConfigurationRequest request = new SetConfigurationRequest(clientId, node.raftServer().getId(),
        node.groupId(), callIds.incrementAndGet(), arguments);
    long timeoutMs = remainingMs(deadlineNanos);
    RaftClientReply reply;
    try {
      reply = node.raftServer().setConfigurationAsync(request).get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw Errors.indeterminate(ErrorReason.COMMIT_TIMEOUT, what + " did not finish within " + timeoutMs
          + " ms; it may still complete: check `sluice cluster status`");
    } catch (IOException | ExecutionException | InterruptedException e) {
      throw configurationFailure(failureOf(e), what, target);
    }
    if (!reply.isSuccess()) {
      throw configurationFailure(reply.getException(), what, target);
    }
    LOG.info("{}: done; membership now {}", what, describe());
  }

  private StatusRuntimeException configurationFailure(Throwable e, String what, String target) {
    if (e instanceof NotLeaderException || e instanceof LeaderNotReadyException) {
      return notLeaderNow();
    }
    if (e instanceof ReconfigurationInProgressException || e instanceof SetConfigurationException) {
      return Errors.notWritten(ErrorReason.RECONFIGURATION_IN_PROGRESS, what + " refused: another membership"
          + " change is under way (" + e.getMessage() + "); retry when it is done");
    }
    if (e instanceof ReconfigurationTimeoutException) {
      return Errors.notWritten(ErrorReason.NODE_NOT_CAUGHT_UP, what + " failed: " + target + " did not answer"
          + " the leader in time. Start it first (`sluice server --id … --raft-listen … --join`), check the"
          + " leader can reach its Raft address, and retry; the membership is unchanged");
    }
    return Errors.indeterminate(ErrorReason.COMMIT_TIMEOUT, what + " failed: " + e
        + "; it may or may not have happened: check `sluice cluster status`");
  }

  private StatusRuntimeException notLeaderNow() {
    StatusRuntimeException refusal = node.leaderRefusal();
    return refusal != null ? refusal
        : Errors.notWritten(ErrorReason.NO_LEADER, "leadership changed during the request; retry");
  }

  private void requireLeader() {
    StatusRuntimeException refusal = node.leaderRefusal();
    if (refusal != null) {
      throw refusal;
    }
  }

  /** Refuses while a configuration change is not yet committed (Ratis would too, less clearly). */
  private void requireStable() {
    RaftServer.Division division = node.division();
    RaftConfiguration conf = division.getRaftConf();
    boolean transitional = !conf.getPreviousPeers(RaftPeerRole.FOLLOWER).isEmpty()
        || !conf.getPreviousPeers(RaftPeerRole.LISTENER).isEmpty();
    if (transitional || conf.getLogEntryIndex() > division.getRaftLog().getLastCommittedIndex()) {
      throw Errors.notWritten(ErrorReason.RECONFIGURATION_IN_PROGRESS, "a membership change is still being"
          + " committed (" + describe() + "); retry when it is done");
    }
  }

  private static void checkNodeId(String id) {
    if (id == null || !NODE_ID.matcher(id).matches()) {
      throw Errors.notWritten(ErrorReason.INVALID_REQUEST, "node id '" + id
          + "' must be 1 to 64 characters from [a-zA-Z0-9._-]");
    }
  }

  private static long remainingMs(long deadlineNanos) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
  }

  private static Throwable failureOf(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return t;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Errors.notWritten(ErrorReason.NODE_NOT_READY, "interrupted (the node is stopping); retry");
    }
  }
}
