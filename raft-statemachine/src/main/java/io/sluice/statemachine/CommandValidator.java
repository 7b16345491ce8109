package io.sluice.statemachine;

import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.ErrorReason;
import io.sluice.api.v1.GroupOffsetCommit;
import io.sluice.api.v1.OffsetResetMode;
import io.sluice.internal.v1.JoinGroup;
import io.sluice.internal.v1.ResetGroupOffsets;
import io.sluice.protocol.GroupIds;
import io.sluice.internal.v1.Append;
import io.sluice.internal.v1.AppendBatch;
import io.sluice.internal.v1.Command;
import io.sluice.internal.v1.TopicState;
import io.sluice.protocol.CorruptBatchException;
import io.sluice.protocol.RecordBatch;
import io.sluice.protocol.RecordTooLargeException;
import io.sluice.protocol.TopicNames;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a command on the leader before it is proposed (Ratis's startTransaction), so that apply
 * can trust what is in the log. Checks against the leader's applied state are advisory: apply
 * re-checks topic existence deterministically, since entries ahead of this one may change it.
 *
 * <p>Thread-safe (stateless apart from its immutable limits).
 */
public final class CommandValidator {
  private final Limits limits;

  public CommandValidator(Limits limits) {
    this.limits = limits;
  }

  public Limits limits() {
    return limits;
  }

  /** Throws {@link CommandRejectedException} saying what is wrong, or returns normally. */
  public void validate(Command command, int commandBytes, LogCore core) throws CommandRejectedException {
    if (command.getKindCase() == Command.KindCase.APPEND_GROUP) {
      validateGroup(command, commandBytes, core);
      return;
    }
    if (commandBytes > limits.requestBytesMax()) {
      throw new CommandRejectedException(ErrorReason.RECORD_TOO_LARGE, "request of " + commandBytes
          + " bytes is over the maximum of " + limits.requestBytesMax());
    }
    switch (command.getKindCase()) {
      case CREATE_TOPIC -> {
        checkName(command.getCreateTopic().getName());
        int partitions = command.getCreateTopic().getPartitions();
        if (partitions < 1 || partitions > limits.partitionsMax()) {
          throw new CommandRejectedException(ErrorReason.INVALID_PARTITION_COUNT, "partition count " + partitions
              + " is outside 1.." + limits.partitionsMax());
        }
        TopicConfigs.validate(command.getCreateTopic().getConfigsMap(), java.util.List.of());
        checkTopicLimits(command.getCreateTopic(), core);
      }
      case ALTER_TOPIC_CONFIG -> {
        checkName(command.getAlterTopicConfig().getName());
        if (core.topic(command.getAlterTopicConfig().getName()).isEmpty()) {
          throw new CommandRejectedException(ErrorReason.UNKNOWN_TOPIC, "topic '"
              + command.getAlterTopicConfig().getName() + "' does not exist");
        }
        TopicConfigs.validate(command.getAlterTopicConfig().getSetMap(), command.getAlterTopicConfig().getResetList());
      }
      case TRUNCATE_PARTITION -> {
        checkName(command.getTruncatePartition().getTopic());
        if (command.getTruncatePartition().getLogStartOffset() < 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_OFFSET, "negative log start offset");
        }
      }
      case DELETE_TOPIC -> checkName(command.getDeleteTopic().getName());
      case APPEND -> validateAppend(command, core);
      case REGISTER_NODE -> {
        if (command.getRegisterNode().getNodeId().isEmpty()) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "node id is empty");
        }
      }
      case JOIN_GROUP -> validateJoin(command.getJoinGroup());
      case LEAVE_GROUP -> {
        checkGroupId(command.getLeaveGroup().getGroupId());
        checkMemberId(command.getLeaveGroup().getMemberId());
      }
      case EXPIRE_MEMBERS -> checkGroupId(command.getExpireMembers().getGroupId());
      case COMMIT_OFFSETS -> {
        if (command.getCommitOffsets().getCommitsCount() == 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "offset commit batch is empty");
        }
        for (GroupOffsetCommit c : command.getCommitOffsets().getCommitsList()) {
          validateCommit(c);
        }
      }
      case RESET_GROUP_OFFSETS -> {
        ResetGroupOffsets r = command.getResetGroupOffsets();
        checkGroupId(r.getGroupId());
        checkName(r.getTopic());
        if (r.getMode() == OffsetResetMode.OFFSET_RESET_MODE_UNSPECIFIED || r.getMode() == OffsetResetMode.UNRECOGNIZED) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "offset reset mode is missing");
        }
        if (r.getOffset() < 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_OFFSET, "offset " + r.getOffset() + " is negative");
        }
      }
      case DELETE_GROUP -> checkGroupId(command.getDeleteGroup().getGroupId());
      case CREATE_TOKEN -> {
        io.sluice.internal.v1.CreateToken t = command.getCreateToken();
        checkPrincipal(t.getPrincipal(), false);
        if (t.getName().length() > TopicNames.LENGTH_MAX || t.getName().chars().anyMatch(Character::isISOControl)) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "token name is longer than "
              + TopicNames.LENGTH_MAX + " characters or holds control characters");
        }
        if (t.getSecretSha256().size() != 32) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "token hash is "
              + t.getSecretSha256().size() + " bytes, not 32 (SHA-256)");
        }
        if (t.getTokensMax() <= 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "create-token carries no token limit");
        }
      }
      case REVOKE_TOKEN -> {
        String id = command.getRevokeToken().getTokenId();
        if (id.isEmpty() || id.length() > TopicNames.LENGTH_MAX) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "token id is empty or too long");
        }
      }
      case ADD_ACL -> {
        checkAcl(command.getAddAcl().getAcl());
        if (command.getAddAcl().getAclsMax() <= 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "add-acl carries no ACL limit");
        }
      }
      case REMOVE_ACL -> checkAcl(command.getRemoveAcl().getAcl());
      case SET_QUOTA -> {
        io.sluice.api.v1.QuotaEntry q = command.getSetQuota().getQuota();
        checkPrincipal(q.getPrincipal(), false);
        if (q.getProduceBytesPerSecond() < 0 || q.getFetchBytesPerSecond() < 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "quota rates must be >= 0 bytes/s (0 is"
              + " unlimited), got produce " + q.getProduceBytesPerSecond() + " and fetch " + q.getFetchBytesPerSecond());
        }
        if (command.getSetQuota().getQuotasMax() <= 0) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "set-quota carries no quota limit");
        }
      }
      case REMOVE_QUOTA -> checkPrincipal(command.getRemoveQuota().getPrincipal(), false);
      case KIND_NOT_SET -> throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "command has no kind");
    }
  }

  /** Most topics one group member may subscribe to. */
  public static final int SUBSCRIBED_TOPICS_MAX = 1000;

  private static void validateJoin(JoinGroup j) throws CommandRejectedException {
    checkGroupId(j.getGroupId());
    if (j.getTopicsCount() == 0 || j.getTopicsCount() > SUBSCRIBED_TOPICS_MAX) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "a member must subscribe to 1 to "
          + SUBSCRIBED_TOPICS_MAX + " topics, got " + j.getTopicsCount());
    }
    for (String t : j.getTopicsList()) {
      checkName(t);
    }
    if (j.getClientId().length() > TopicNames.LENGTH_MAX) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "client id is longer than "
          + TopicNames.LENGTH_MAX + " characters");
    }
    if (j.getSessionTimeoutMs() <= 0 || j.getRebalanceTimeoutMs() <= 0) {
      throw new CommandRejectedException(ErrorReason.INVALID_SESSION_TIMEOUT, "session and rebalance timeouts"
          + " must be positive, got " + j.getSessionTimeoutMs() + " and " + j.getRebalanceTimeoutMs() + " ms");
    }
    if (j.getMembersMax() <= 0 || j.getGroupsMax() <= 0) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "join carries no group limits");
    }
  }

  /** The static checks of an offset commit (fencing happens in apply). */
  public static void validateCommit(GroupOffsetCommit c) throws CommandRejectedException {
    checkGroupId(c.getGroupId());
    checkMemberId(c.getMemberId());
    if (c.getOffsetsCount() == 0) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "offset commit for group '" + c.getGroupId()
          + "' carries no offsets");
    }
    Set<String> seen = new HashSet<>();
    for (CommittedOffset o : c.getOffsetsList()) {
      checkName(o.getTopic());
      if (o.getPartition() < 0) {
        throw new CommandRejectedException(ErrorReason.UNKNOWN_PARTITION, "partition " + o.getPartition()
            + " of topic '" + o.getTopic() + "' is negative");
      }
      if (o.getOffset() < 0) {
        throw new CommandRejectedException(ErrorReason.INVALID_OFFSET, "offset " + o.getOffset() + " for "
            + o.getTopic() + "-" + o.getPartition() + " is negative");
      }
      int metadataBytes = o.getMetadata().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      if (metadataBytes > GroupIds.METADATA_BYTES_MAX) {
        throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "metadata for " + o.getTopic() + "-"
            + o.getPartition() + " is " + metadataBytes + " bytes, over the maximum of " + GroupIds.METADATA_BYTES_MAX);
      }
      if (!seen.add(o.getTopic() + "/" + o.getPartition())) {
        throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "two offsets for " + o.getTopic() + "-"
            + o.getPartition() + " in one commit");
      }
    }
  }

  private static void checkGroupId(String groupId) throws CommandRejectedException {
    String problem = GroupIds.problem(groupId);
    if (problem != null) {
      throw new CommandRejectedException(ErrorReason.INVALID_GROUP_ID, problem);
    }
  }

  private static void checkMemberId(String memberId) throws CommandRejectedException {
    if (memberId.isEmpty() || memberId.length() > 2 * TopicNames.LENGTH_MAX) {
      throw new CommandRejectedException(ErrorReason.UNKNOWN_MEMBER_ID, "member id is empty or too long");
    }
  }

  /**
   * A group commit: within {@code groupBytesMax}, and every Append valid as a request on its own.
   * The leader checks each request before merging it (see {@link #validateAppend(Append, LogCore)}),
   * so a bad one fails alone; this re-check keeps the log free of unchecked data whoever proposes.
   */
  private void validateGroup(Command command, int commandBytes, LogCore core) throws CommandRejectedException {
    if (commandBytes > limits.groupBytesMax()) {
      throw new CommandRejectedException(ErrorReason.RECORD_TOO_LARGE, "group commit of " + commandBytes
          + " bytes is over the maximum of " + limits.groupBytesMax());
    }
    if (command.getAppendGroup().getAppendsCount() == 0) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "group commit carries no requests");
    }
    for (Append a : command.getAppendGroup().getAppendsList()) {
      if (a.getSerializedSize() > limits.requestBytesMax()) {
        throw new CommandRejectedException(ErrorReason.RECORD_TOO_LARGE, "request of " + a.getSerializedSize()
            + " bytes in a group commit is over the maximum of " + limits.requestBytesMax());
      }
      validateAppend(a, core);
    }
  }

  private void validateAppend(Command command, LogCore core) throws CommandRejectedException {
    validateAppend(command.getAppend(), core);
  }

  /**
   * Refuses early what apply would refuse (on the state applied so far; apply, which sees every
   * create before it, has the last word).
   */
  private static void checkTopicLimits(io.sluice.internal.v1.CreateTopic c, LogCore core)
      throws CommandRejectedException {
    if (c.getTopicsMax() < 0 || c.getPartitionsTotalMax() < 0) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "negative topic limits");
    }
    if (c.getTopicsMax() > 0 && core.topicCount() >= c.getTopicsMax() && core.topic(c.getName()).isEmpty()) {
      throw new CommandRejectedException(ErrorReason.TOO_MANY_TOPICS, "the cluster already has " + core.topicCount()
          + " topics, the most topics.max (" + c.getTopicsMax() + ") allows; delete unused topics first");
    }
    if (c.getPartitionsTotalMax() > 0 && core.topic(c.getName()).isEmpty()) {
      long total = core.partitionsTotal();
      if (total + c.getPartitions() > c.getPartitionsTotalMax()) {
        throw new CommandRejectedException(ErrorReason.TOO_MANY_PARTITIONS, "topic '" + c.getName() + "' with "
            + c.getPartitions() + " partitions would take the cluster to " + (total + c.getPartitions())
            + " partitions, over partitions.max (" + c.getPartitionsTotalMax() + "); " + total + " are in use");
      }
    }
  }

  /** Checks one produce request's batches: names, partitions, sizes, CRCs. Thread-safe. */
  public void validateAppend(Append append, LogCore core) throws CommandRejectedException {
    if (append.getBatchesCount() == 0) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "produce request carries no batches");
    }
    if (append.hasGroupCommit()) {
      validateCommit(append.getGroupCommit());
    }
    Set<String> seen = new HashSet<>();
    for (AppendBatch b : append.getBatchesList()) {
      checkName(b.getTopic());
      Optional<TopicState> topic = core.topic(b.getTopic());
      if (topic.isEmpty()) {
        throw new CommandRejectedException(ErrorReason.UNKNOWN_TOPIC, "topic '" + b.getTopic() + "' does not exist");
      }
      if (b.getPartition() < 0 || b.getPartition() >= topic.get().getPartitions()) {
        throw new CommandRejectedException(ErrorReason.UNKNOWN_PARTITION, "topic '" + b.getTopic()
            + "' has no partition " + b.getPartition() + " (partitions: " + topic.get().getPartitions() + ")");
      }
      if (!seen.add(b.getTopic() + "/" + b.getPartition())) {
        throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "two batches for " + b.getTopic()
            + "-" + b.getPartition() + " in one request");
      }
      if (b.getRecords().size() > limits.batchBytesMax()) {
        throw new CommandRejectedException(ErrorReason.RECORD_TOO_LARGE, "batch for " + b.getTopic() + "-"
            + b.getPartition() + " is " + b.getRecords().size() + " bytes, over the maximum of "
            + limits.batchBytesMax());
      }
      try {
        RecordBatch.validate(b.getRecords().asReadOnlyByteBuffer(), limits.recordBytesMax());
      } catch (CorruptBatchException e) {
        throw new CommandRejectedException(ErrorReason.CORRUPT_BATCH, "batch for " + b.getTopic() + "-"
            + b.getPartition() + " is corrupt: " + e.getMessage());
      } catch (RecordTooLargeException e) {
        throw new CommandRejectedException(ErrorReason.RECORD_TOO_LARGE, "batch for " + b.getTopic() + "-"
            + b.getPartition() + ": " + e.getMessage());
      }
    }
  }

  /** Longest principal name, characters. */
  public static final int PRINCIPAL_LENGTH_MAX = 249;

  /**
   * A principal name: 1 to 249 characters, no control characters, not blank; {@code *} (every
   * principal) only where {@code wildcardAllowed}. Certificate CNs may hold spaces, so they are allowed.
   */
  public static void checkPrincipal(String principal, boolean wildcardAllowed) throws CommandRejectedException {
    if (principal.isBlank() || principal.length() > PRINCIPAL_LENGTH_MAX
        || principal.chars().anyMatch(Character::isISOControl)) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "principal '" + principal
          + "' must be 1 to " + PRINCIPAL_LENGTH_MAX + " characters without control characters");
    }
    if (principal.equals("*") && !wildcardAllowed) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "principal '*' (everyone) is only for ACLs");
    }
  }

  /** An ACL's fields: a known resource type, a name fit for it, and an operation that applies to it. */
  public static void checkAcl(io.sluice.api.v1.AclEntry acl) throws CommandRejectedException {
    checkPrincipal(acl.getPrincipal(), true);
    io.sluice.api.v1.AclOperation op = acl.getOperation();
    java.util.Set<io.sluice.api.v1.AclOperation> allowed;
    switch (acl.getResourceType()) {
      case ACL_RESOURCE_TOPIC, ACL_RESOURCE_TOPIC_PREFIX -> {
        checkName(acl.getResourceName());
        allowed = java.util.EnumSet.of(io.sluice.api.v1.AclOperation.ACL_OPERATION_PRODUCE,
            io.sluice.api.v1.AclOperation.ACL_OPERATION_CONSUME, io.sluice.api.v1.AclOperation.ACL_OPERATION_DESCRIBE,
            io.sluice.api.v1.AclOperation.ACL_OPERATION_ALTER);
      }
      case ACL_RESOURCE_GROUP, ACL_RESOURCE_GROUP_PREFIX -> {
        checkGroupId(acl.getResourceName());
        allowed = java.util.EnumSet.of(io.sluice.api.v1.AclOperation.ACL_OPERATION_READ,
            io.sluice.api.v1.AclOperation.ACL_OPERATION_DESCRIBE, io.sluice.api.v1.AclOperation.ACL_OPERATION_DELETE);
      }
      case ACL_RESOURCE_CLUSTER -> {
        if (!acl.getResourceName().isEmpty()) {
          throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "a cluster ACL names no resource, got '"
              + acl.getResourceName() + "'");
        }
        allowed = java.util.EnumSet.of(io.sluice.api.v1.AclOperation.ACL_OPERATION_ADMIN);
      }
      default -> throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "ACL resource type is missing");
    }
    if (!allowed.contains(op)) {
      throw new CommandRejectedException(ErrorReason.INVALID_REQUEST, "operation " + op + " does not apply to "
          + acl.getResourceType() + " (allowed: " + allowed + ")");
    }
  }

  private static void checkName(String name) throws CommandRejectedException {
    String problem = TopicNames.problem(name);
    if (problem != null) {
      throw new CommandRejectedException(ErrorReason.INVALID_TOPIC_NAME, problem);
    }
  }
}
