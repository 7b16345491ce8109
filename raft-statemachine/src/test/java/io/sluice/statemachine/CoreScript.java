package io.sluice.statemachine;

import com.google.protobuf.ByteString;
import io.sluice.internal.v1.AlterTopicConfig;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendBatch;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.CommandResult;
import io.sluice.internal.v1.CreateTopic;
import io.sluice.internal.v1.DeleteTopic;
import io.sluice.internal.v1.PartitionState;
import io.sluice.internal.v1.RegisterNode;
import io.sluice.internal.v1.TopicState;
import io.sluice.internal.v1.TruncatePartition;
import io.sluice.protocol.Record;
import io.sluice.protocol.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs the little command language of the golden files against a {@link LogCore}:
 * <pre>
 * create-topic NAME PARTITIONS [KEY=VALUE …]   (topics.max=N, partitions.max=N: the stamped limits)
 * alter-topic NAME [KEY=VALUE …] [-KEY …]          (set, or reset to default)
 * truncate TOPIC/PARTITION OFFSET                 (retention's command)
 * retention-point TOPIC PARTITION CUTOFF_MS BYTES_MAX
 * init-producer                                   (issues a producer id: the command's index)
 * append-idem PID EPOCH TOPIC/PARTITION:RECORDS@SEQ [...]   (idempotent batches)
 * expire-producers IDLE_MS
 * delete-topic NAME
 * append TOPIC/PARTITION:RECORDS [TOPIC/PARTITION:RECORDS …]   (one command, all or nothing)
 * group APPEND-LINE | APPEND-LINE …               (group commit: several append/append-idem requests in one entry)
 * read TOPIC PARTITION OFFSET MAXBYTES
 * register NODE ADDRESS
 * state
 * join GROUP MEMBER|- CLIENT TOPIC[,TOPIC…] [range|round-robin|sticky]   (limits: 3 members, 2 groups)
 * leave GROUP MEMBER
 * expire GROUP MEMBER[,MEMBER…]
 * commit GROUP MEMBER GEN TOPIC/P=OFFSET[,…] [| GROUP MEMBER GEN TOPIC/P=OFFSET[,…] …]  (one batched command)
 * append-commit TOPIC/PARTITION:RECORDS GROUP MEMBER GEN TOPIC/P=OFFSET[,…]  (records + offsets atomically)
 * reset GROUP TOPIC earliest|latest|N
 * delete-group GROUP
 * group GROUP                                     (membership, assignment and committed offsets)
 * create-token PRINCIPAL SECRET [NAME]            (stores SHA-256(SECRET); limit: 3 tokens)
 * revoke-token ID
 * acl-add PRINCIPAL topic|topic-prefix|group|group-prefix|cluster NAME|- OP   (limit: 4 ACLs)
 * acl-remove PRINCIPAL TYPE NAME|- OP
 * token SECRET                                    (which live token the secret is, if any)
 * auth                                            (tokens, without hashes, and ACLs)
 * quota-set PRINCIPAL PRODUCE FETCH               (bytes/s, 0 unlimited; limit: 2 quotas)
 * quota-remove PRINCIPAL
 * quotas                                          (the replicated quotas)
 * </pre>
 * Each command gets the next Raft index (term 1) and timestamp 1000 * index.
 */
final class CoreScript {
  private final LogCore core;
  private long index;

  CoreScript(LogCore core) {
    this.core = core;
    this.index = Math.max(core.applied().index(), 0); // Raft indexes start at 1
  }

  /** The commands a script line proposes, or null for a read-only line. */
  static Command command(String line, long timestampMs) {
    String[] w = line.trim().split("\\s+");
    Command.Builder c = Command.newBuilder().setTimestampMs(timestampMs);
    switch (w[0]) {
      case "merged" -> {
        io.sluice.internal.v1.AppendGroup.Builder g = io.sluice.internal.v1.AppendGroup.newBuilder();
        for (String request : line.trim().substring("merged".length()).split("\\|")) {
          g.addAppends(command(request, timestampMs).getAppend());
        }
        c.setAppendGroup(g);
      }
      case "create-topic" -> {
        CreateTopic.Builder t = CreateTopic.newBuilder().setName(w[1]).setPartitions(Integer.parseInt(w[2]));
        for (int i = 3; i < w.length; i++) {
          String k = w[i].split("=")[0];
          String v = w[i].split("=")[1];
          switch (k) { // the limits the leader stamps into the entry; anything else is a topic config
            case "topics.max" -> t.setTopicsMax(Integer.parseInt(v));
            case "partitions.max" -> t.setPartitionsTotalMax(Integer.parseInt(v));
            default -> t.putConfigs(k, v);
          }
        }
        c.setCreateTopic(t);
      }
      case "alter-topic" -> {
        AlterTopicConfig.Builder a = AlterTopicConfig.newBuilder().setName(w[1]);
        for (int i = 2; i < w.length; i++) {
          if (w[i].startsWith("-")) {
            a.addReset(w[i].substring(1));
          } else {
            a.putSet(w[i].split("=")[0], w[i].split("=")[1]);
          }
        }
        c.setAlterTopicConfig(a);
      }
      case "delete-topic" -> c.setDeleteTopic(DeleteTopic.newBuilder().setName(w[1]));
      case "init-producer" -> c.setInitProducer(io.sluice.internal.v1.InitProducer.getDefaultInstance());
      case "expire-producers" -> c.setExpireProducers(
          io.sluice.internal.v1.ExpireProducers.newBuilder().setIdleMs(Long.parseLong(w[1])));
      case "append-idem" -> {
        Append.Builder a = Append.newBuilder();
        for (int i = 3; i < w.length; i++) {
          String[] tp = w[i].split("[/:@]");
          RecordBatch.Builder b = RecordBatch.builder()
              .producer(Long.parseLong(w[1]), Short.parseShort(w[2]), Integer.parseInt(tp[3]));
          for (int r = 0; r < Integer.parseInt(tp[2]); r++) {
            b.add(timestampMs, null, (tp[0] + "-" + tp[1] + "#seq" + (Integer.parseInt(tp[3]) + r))
                .getBytes(StandardCharsets.UTF_8), List.of());
          }
          a.addBatches(AppendBatch.newBuilder().setTopic(tp[0]).setPartition(Integer.parseInt(tp[1]))
              .setRecords(ByteString.copyFrom(b.build())));
        }
        c.setAppend(a);
      }
      case "join" -> {
        io.sluice.internal.v1.JoinGroup.Builder j = io.sluice.internal.v1.JoinGroup.newBuilder().setGroupId(w[1])
            .setMemberId(w[2].equals("-") ? "" : w[2]).setClientId(w[3]).addAllTopics(List.of(w[4].split(",")))
            .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).setMembersMax(3).setGroupsMax(2);
        if (w.length > 5) {
          j.setStrategy(switch (w[5]) {
            case "round-robin" -> io.sluice.api.v1.AssignmentStrategy.ASSIGNMENT_STRATEGY_ROUND_ROBIN;
            case "sticky" -> io.sluice.api.v1.AssignmentStrategy.ASSIGNMENT_STRATEGY_STICKY;
            default -> io.sluice.api.v1.AssignmentStrategy.ASSIGNMENT_STRATEGY_RANGE;
          });
        }
        c.setJoinGroup(j);
      }
      case "leave" -> c.setLeaveGroup(io.sluice.internal.v1.LeaveGroup.newBuilder().setGroupId(w[1]).setMemberId(w[2]));
      case "expire" -> c.setExpireMembers(io.sluice.internal.v1.ExpireMembers.newBuilder().setGroupId(w[1])
          .addAllMemberIds(List.of(w[2].split(","))).setReason("script"));
      case "commit" -> {
        io.sluice.internal.v1.CommitOffsets.Builder b = io.sluice.internal.v1.CommitOffsets.newBuilder();
        for (String part : line.trim().substring("commit".length()).split("\\|")) {
          String[] x = part.trim().split("\\s+");
          b.addCommits(groupCommit(x[0], x[1], x[2], x[3]));
        }
        c.setCommitOffsets(b);
      }
      case "append-commit" -> {
        String[] tp = w[1].split("[/:]");
        c.setAppend(Append.newBuilder()
            .addBatches(AppendBatch.newBuilder().setTopic(tp[0]).setPartition(Integer.parseInt(tp[1]))
                .setRecords(ByteString.copyFrom(batch(tp[0] + "-" + tp[1], Integer.parseInt(tp[2]), timestampMs))))
            .setGroupCommit(groupCommit(w[2], w[3], w[4], w[5])));
      }
      case "reset" -> {
        io.sluice.internal.v1.ResetGroupOffsets.Builder r = io.sluice.internal.v1.ResetGroupOffsets.newBuilder()
            .setGroupId(w[1]).setTopic(w[2]);
        switch (w[3]) {
          case "earliest" -> r.setMode(io.sluice.api.v1.OffsetResetMode.OFFSET_RESET_MODE_EARLIEST);
          case "latest" -> r.setMode(io.sluice.api.v1.OffsetResetMode.OFFSET_RESET_MODE_LATEST);
          default -> r.setMode(io.sluice.api.v1.OffsetResetMode.OFFSET_RESET_MODE_OFFSET).setOffset(Long.parseLong(w[3]));
        }
        c.setResetGroupOffsets(r);
      }
      case "delete-group" -> c.setDeleteGroup(io.sluice.internal.v1.DeleteGroup.newBuilder().setGroupId(w[1]));
      case "create-token" -> c.setCreateToken(io.sluice.internal.v1.CreateToken.newBuilder().setPrincipal(w[1])
          .setSecretSha256(ByteString.copyFrom(sha256(w[2]))).setName(w.length > 3 ? w[3] : "").setTokensMax(3));
      case "revoke-token" -> c.setRevokeToken(io.sluice.internal.v1.RevokeToken.newBuilder().setTokenId(w[1]));
      case "acl-add" -> c.setAddAcl(io.sluice.internal.v1.AddAcl.newBuilder().setAcl(acl(w)).setAclsMax(4));
      case "acl-remove" -> c.setRemoveAcl(io.sluice.internal.v1.RemoveAcl.newBuilder().setAcl(acl(w)));
      case "quota-set" -> c.setSetQuota(io.sluice.internal.v1.SetQuota.newBuilder().setQuotasMax(2)
          .setQuota(io.sluice.api.v1.QuotaEntry.newBuilder().setPrincipal(w[1])
              .setProduceBytesPerSecond(Long.parseLong(w[2])).setFetchBytesPerSecond(Long.parseLong(w[3]))));
      case "quota-remove" -> c.setRemoveQuota(io.sluice.internal.v1.RemoveQuota.newBuilder().setPrincipal(w[1]));
      case "register" -> c.setRegisterNode(RegisterNode.newBuilder().setNodeId(w[1]).setClientAddress(w[2]));
      case "append" -> {
        Append.Builder a = Append.newBuilder();
        for (int i = 1; i < w.length; i++) {
          String[] tp = w[i].split("[/:]");
          a.addBatches(AppendBatch.newBuilder().setTopic(tp[0]).setPartition(Integer.parseInt(tp[1]))
              .setRecords(ByteString.copyFrom(batch(tp[0] + "-" + tp[1], Integer.parseInt(tp[2]), timestampMs))));
        }
        c.setAppend(a);
      }
      default -> {
        return null;
      }
    }
    return c.build();
  }

  static byte[] sha256(String secret) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static io.sluice.api.v1.AclEntry acl(String[] w) {
    return io.sluice.api.v1.AclEntry.newBuilder().setPrincipal(w[1])
        .setResourceType(io.sluice.api.v1.AclResourceType.valueOf("ACL_RESOURCE_" + w[2].toUpperCase().replace('-', '_')))
        .setResourceName(w[3].equals("-") ? "" : w[3])
        .setOperation(io.sluice.api.v1.AclOperation.valueOf("ACL_OPERATION_" + w[4].toUpperCase()))
        .build();
  }

  static String auth(LogCore core) {
    List<String> out = new ArrayList<>();
    for (io.sluice.internal.v1.StoredToken t : core.tokens()) {
      out.add("token " + t.getTokenId() + " principal=" + t.getPrincipal() + " name=" + t.getName()
          + " created=" + t.getCreatedTimeMs());
    }
    for (io.sluice.api.v1.AclEntry a : core.acls()) {
      out.add("acl " + a.getPrincipal() + " " + a.getResourceType().name().replace("ACL_RESOURCE_", "") + " "
          + (a.getResourceName().isEmpty() ? "-" : a.getResourceName()) + " "
          + a.getOperation().name().replace("ACL_OPERATION_", ""));
    }
    return out.isEmpty() ? "no tokens, no acls" : String.join("\n", out);
  }

  static io.sluice.api.v1.GroupOffsetCommit groupCommit(String group, String member, String gen, String offsets) {
    io.sluice.api.v1.GroupOffsetCommit.Builder g = io.sluice.api.v1.GroupOffsetCommit.newBuilder()
        .setGroupId(group).setMemberId(member).setGeneration(Integer.parseInt(gen));
    for (String o : offsets.split(",")) {
      String[] x = o.split("[/=]");
      g.addOffsets(io.sluice.api.v1.CommittedOffset.newBuilder().setTopic(x[0]).setPartition(Integer.parseInt(x[1]))
          .setOffset(Long.parseLong(x[2])));
    }
    return g.build();
  }

  static byte[] batch(String prefix, int records, long timestampMs) {
    RecordBatch.Builder b = RecordBatch.builder();
    for (int i = 0; i < records; i++) {
      b.add(timestampMs, null, (prefix + "@" + timestampMs + "#" + i).getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  String run(String line) {
    String[] w = line.trim().split("\\s+");
    if (w[0].equals("state")) {
      return state(core);
    }
    if (w[0].equals("group")) {
      return describeGroup(core, w[1]);
    }
    if (w[0].equals("quotas")) {
      return core.quotas().isEmpty() ? "no quotas" : core.quotas().values().stream()
          .map(q -> "quota " + q.getPrincipal() + " produce=" + q.getProduceBytesPerSecond() + " fetch="
              + q.getFetchBytesPerSecond())
          .collect(Collectors.joining("\n"));
    }
    if (w[0].equals("auth")) {
      return auth(core);
    }
    if (w[0].equals("token")) {
      return core.tokenByHash(sha256(w[1])).map(t -> "token " + t.getTokenId() + " principal=" + t.getPrincipal())
          .orElse("no token");
    }
    if (w[0].equals("retention-point")) {
      return "retention-point " + core.retentionPoint(w[1], Integer.parseInt(w[2]), Long.parseLong(w[3]), Long.parseLong(w[4]))
          .map(String::valueOf).orElse("none");
    }
    if (w[0].equals("truncate")) {
      String[] tp = w[1].split("/");
      long topicId = core.topic(tp[0]).map(TopicState::getTopicId).orElse(-1L);
      index++;
      Command c = Command.newBuilder().setTimestampMs(1000 * index).setTruncatePartition(TruncatePartition.newBuilder()
          .setTopic(tp[0]).setTopicId(topicId).setPartition(Integer.parseInt(tp[1]))
          .setLogStartOffset(Long.parseLong(w[2]))).build();
      return describe(core.apply(1, index, c));
    }
    if (w[0].equals("read")) {
      LogCore.ReadResult r = core.read(w[1], Integer.parseInt(w[2]), Long.parseLong(w[3]), Integer.parseInt(w[4]));
      List<String> out = new ArrayList<>();
      out.add("start=" + r.logStartOffset() + " end=" + r.endOffset() + " batches=" + r.batches().size());
      for (byte[] b : r.batches()) {
        List<Record> records = RecordBatch.read(ByteBuffer.wrap(b));
        out.add("  batch " + RecordBatch.baseOffset(ByteBuffer.wrap(b)) + ".." + RecordBatch.lastOffset(ByteBuffer.wrap(b))
            + " first=" + new String(records.get(0).value(), StandardCharsets.UTF_8));
      }
      return String.join("\n", out);
    }
    index++;
    Command c = command(line, 1000 * index);
    if (c == null) {
      throw new IllegalArgumentException("unknown script command: " + line);
    }
    return describe(core.apply(1, index, c));
  }

  static String describe(CommandResult r) {
    return switch (r.getKindCase()) {
      case ERROR -> "error " + r.getError().getReason() + ": " + r.getError().getMessage();
      case TOPIC -> "topic " + r.getTopic().getName() + " id=" + r.getTopic().getTopicId()
          + " partitions=" + r.getTopic().getPartitions() + " created=" + r.getTopic().getCreatedTimeMs()
          + (r.getTopic().getConfigsCount() == 0 ? "" : " configs=" + new java.util.TreeMap<>(r.getTopic().getConfigsMap()));
      case APPEND -> "base_offsets=" + r.getAppend().getBaseOffsetsList() + " time=" + r.getAppend().getLogAppendTimeMs()
          + (r.getAppend().getDuplicatesList().contains(true) ? " duplicates=" + r.getAppend().getDuplicatesList() : "");
      case PRODUCER -> "producer id=" + r.getProducer().getProducerId() + " epoch=" + r.getProducer().getEpoch();
      case OK -> "ok";
      case GROUP -> (r.getGroup().getMemberId().isEmpty() ? "" : "member=" + r.getGroup().getMemberId() + " ")
          + groupLine(r.getGroup().getGroup());
      case COMMITS -> "commits=" + r.getCommits().getResultsList().stream()
          .map(e -> e.getReason().isEmpty() ? "ok" : e.getReason() + ": " + e.getMessage()).toList();
      case RESET -> "reset=" + r.getReset().getOffsetsList().stream()
          .map(o -> o.getTopic() + "-" + o.getPartition() + "=" + o.getOffset()).toList();
      case TOKEN -> "token " + r.getToken().getTokenId() + " principal=" + r.getToken().getPrincipal()
          + " created=" + r.getToken().getCreatedTimeMs() + " hash=" + r.getToken().getSecretSha256().size() + "B";
      case ACL_REMOVED -> "removed=" + r.getAclRemoved().getRemoved();
      case QUOTA_REMOVED -> "removed=" + r.getQuotaRemoved().getRemoved();
      case APPEND_GROUP -> "merged" + r.getAppendGroup().getResultsList().stream()
          .map(x -> "\n  " + describe(x)).collect(Collectors.joining());
      case KIND_NOT_SET -> "empty";
    };
  }

  static String groupLine(io.sluice.internal.v1.StoredGroup g) {
    StringBuilder b = new StringBuilder("group " + g.getGroupId() + " gen=" + g.getGeneration() + " "
        + g.getState().name().replace("GROUP_STATE_", "") + " " + g.getStrategy().name().replace("ASSIGNMENT_STRATEGY_", ""));
    for (io.sluice.internal.v1.StoredMember m : g.getMembersList()) {
      b.append("\n  ").append(m.getMemberId()).append(m.getRejoined() ? " (rejoined)" : "").append(" topics=")
          .append(m.getTopicsList()).append(" assigned=")
          .append(m.getAssignmentList().stream().map(p -> p.getTopic() + "-" + p.getPartition()).toList());
    }
    return b.toString();
  }

  static String describeGroup(LogCore core, String groupId) {
    return core.group(groupId).map(g -> {
      StringBuilder b = new StringBuilder(groupLine(g));
      core.committedOffsets(groupId).forEach((tp, o) -> b.append("\n  offset ").append(tp).append("=")
          .append(o.getOffset()).append(" at=").append(o.getCommitTimeMs()));
      return b.toString();
    }).orElse("no group " + groupId);
  }

  static String state(LogCore core) {
    List<String> out = new ArrayList<>();
    out.add("applied=" + core.applied().term() + ":" + core.applied().index());
    for (LogCore.TopicView v : core.topicViews()) {
      out.add("topic " + v.topic().getName() + " id=" + v.topic().getTopicId() + " " + TopicConfigs.effective(v.topic()));
      for (int p = 0; p < v.partitions().size(); p++) {
        PartitionState s = v.partitions().get(p);
        out.add("  " + p + ": start=" + s.getLogStartOffset() + " next=" + s.getNextOffset() + " batches=" + s.getBatchCount()
            + " bytes=" + s.getSizeBytes());
      }
    }
    out.add("producers=" + core.producerCount());
    if (core.groupCount() > 0) {
      out.add("groups=" + core.groups().stream().map(g -> g.getGroupId() + "@" + g.getGeneration()).toList());
    }
    Map<String, String> nodes = new java.util.TreeMap<>(core.nodes());
    if (!nodes.isEmpty()) {
      out.add("nodes " + nodes.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
    }
    return String.join("\n", out);
  }
}
