package io.sluice.node.security;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.sluice.api.v1.AclOperation;
import io.sluice.api.v1.AdminServiceGrpc;
import io.sluice.api.v1.AlterTopicConfigRequest;
import io.sluice.api.v1.AuthServiceGrpc;
import io.sluice.api.v1.ClusterServiceGrpc;
import io.sluice.api.v1.CommitOffsetsRequest;
import io.sluice.api.v1.CommittedOffset;
import io.sluice.api.v1.CreateTopicRequest;
import io.sluice.api.v1.DeleteGroupRequest;
import io.sluice.api.v1.DeleteTopicRequest;
import io.sluice.api.v1.DescribeGroupRequest;
import io.sluice.api.v1.DescribeTopicRequest;
import io.sluice.api.v1.FetchOffsetsRequest;
import io.sluice.api.v1.FetchRequest;
import io.sluice.api.v1.FetchServiceGrpc;
import io.sluice.api.v1.GroupServiceGrpc;
import io.sluice.api.v1.HeartbeatRequest;
import io.sluice.api.v1.JoinGroupRequest;
import io.sluice.api.v1.LeaveGroupRequest;
import io.sluice.api.v1.ListOffsetsRequest;
import io.sluice.api.v1.PartitionBatch;
import io.sluice.api.v1.PartitionFetch;
import io.sluice.api.v1.PartitionRef;
import io.sluice.api.v1.ProduceRequest;
import io.sluice.api.v1.ProduceServiceGrpc;
import io.sluice.api.v1.ResetOffsetsRequest;
import io.sluice.api.v1.TopicServiceGrpc;
import io.sluice.node.security.Authorizer.Kind;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Authorization of every client RPC, before its handler sees the request: a rule per method
 * (see {@link #rules()}), checked against the principal {@link Authenticator} put in the call's
 * context. A denied call is closed with PERMISSION_DENIED (AUTHORIZATION_FAILED) and never reaches
 * its service. A method without a rule is denied: a new RPC must be given one (a test checks that
 * every method the node serves has one).
 *
 * <p>Some rules are checked by the service itself, because they need its state: ListTopics and
 * ListGroups answer only what the principal may describe, and Subscribe checks CONSUME on the
 * partitions of its first message (and again while it runs, see FetchService). Those methods
 * are marked {@link #IN_SERVICE} here.
 *
 * <p>Thread-safe: the rules are immutable; each call's listener is used by one call.
 */
public final class AuthorizationInterceptor implements ServerInterceptor {
  /** What a method needs, checked against one request message. */
  @FunctionalInterface
  interface Rule {
    void check(Authorizer authz, Principal principal, Object request, String method);
  }

  /** Marker: the service authorizes this method itself. */
  static final Rule IN_SERVICE = (authz, principal, request, method) -> { };

  private static final Map<String, Rule> RULES = rules();

  private final Authorizer authorizer;

  public AuthorizationInterceptor(Authorizer authorizer) {
    this.authorizer = authorizer;
  }

  /** Full names of the methods that have a rule (for the coverage test). */
  public static Set<String> coveredMethods() {
    return RULES.keySet();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (!authorizer.enabled()) {
      return next.startCall(call, headers);
    }
    String method = call.getMethodDescriptor().getFullMethodName();
    Principal principal = Principal.current();
    Rule rule = RULES.get(method);
    if (rule == null) {
      StatusRuntimeException e = AuthErrors.denied("no authorization rule for " + method + ": refused",
          Map.of(AuthErrors.PRINCIPAL, principal.name(), AuthErrors.RESOURCE, method));
      call.close(e.getStatus(), e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    if (rule == IN_SERVICE) {
      return next.startCall(call, headers);
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        try {
          rule.check(authorizer, principal, message, method);
        } catch (StatusRuntimeException e) {
          refused = true;
          call.close(e.getStatus(), e.getTrailers());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }

  private static Map<String, Rule> rules() {
    Map<String, Rule> r = new HashMap<>();
    // Produce
    put(r, ProduceServiceGrpc.getProduceMethod(), (a, p, m, method) -> {
      ProduceRequest q = (ProduceRequest) m;
      for (PartitionBatch b : q.getBatchesList()) {
        a.check(p, Kind.TOPIC, b.getTopic(), AclOperation.ACL_OPERATION_PRODUCE, method, false);
      }
      if (q.hasGroupCommit()) {
        a.check(p, Kind.GROUP, q.getGroupCommit().getGroupId(), AclOperation.ACL_OPERATION_READ, method, false);
      }
    });
    put(r, ProduceServiceGrpc.getInitProducerMethod(),
        (a, p, m, method) -> a.checkSomeTopic(p, AclOperation.ACL_OPERATION_PRODUCE, method));
    // Fetch
    put(r, FetchServiceGrpc.getFetchMethod(), (a, p, m, method) -> {
      for (PartitionFetch f : ((FetchRequest) m).getPartitionsList()) {
        a.check(p, Kind.TOPIC, f.getTopic(), AclOperation.ACL_OPERATION_CONSUME, method, false);
      }
    });
    put(r, FetchServiceGrpc.getListOffsetsMethod(), (a, p, m, method) -> {
      for (PartitionRef ref : ((ListOffsetsRequest) m).getPartitionsList()) {
        a.check(p, Kind.TOPIC, ref.getTopic(), AclOperation.ACL_OPERATION_DESCRIBE, method, false);
      }
    });
    r.put(FetchServiceGrpc.getSubscribeMethod().getFullMethodName(), IN_SERVICE);
    // Topics
    put(r, TopicServiceGrpc.getCreateTopicMethod(), (a, p, m, method) ->
        a.check(p, Kind.TOPIC, ((CreateTopicRequest) m).getName(), AclOperation.ACL_OPERATION_ALTER, method, true));
    put(r, TopicServiceGrpc.getDeleteTopicMethod(), (a, p, m, method) ->
        a.check(p, Kind.TOPIC, ((DeleteTopicRequest) m).getName(), AclOperation.ACL_OPERATION_ALTER, method, true));
    put(r, TopicServiceGrpc.getAlterTopicConfigMethod(), (a, p, m, method) ->
        a.check(p, Kind.TOPIC, ((AlterTopicConfigRequest) m).getName(), AclOperation.ACL_OPERATION_ALTER, method, true));
    put(r, TopicServiceGrpc.getDescribeTopicMethod(), (a, p, m, method) ->
        a.check(p, Kind.TOPIC, ((DescribeTopicRequest) m).getName(), AclOperation.ACL_OPERATION_DESCRIBE, method, false));
    r.put(TopicServiceGrpc.getListTopicsMethod().getFullMethodName(), IN_SERVICE);
    // Cluster: every authenticated client must find the leader; node status is for operators.
    put(r, ClusterServiceGrpc.getDescribeClusterMethod(), (a, p, m, method) -> { });
    put(r, ClusterServiceGrpc.getGetNodeStatusMethod(), Rules.ADMIN);
    put(r, AdminServiceGrpc.getAddNodeMethod(), Rules.ADMIN);
    put(r, AdminServiceGrpc.getRemoveNodeMethod(), Rules.ADMIN);
    put(r, AdminServiceGrpc.getTransferLeaderMethod(), Rules.ADMIN);
    put(r, AdminServiceGrpc.getTakeSnapshotMethod(), Rules.ADMIN);
    // Groups
    put(r, GroupServiceGrpc.getJoinGroupMethod(), (a, p, m, method) ->
        a.check(p, Kind.GROUP, ((JoinGroupRequest) m).getGroupId(), AclOperation.ACL_OPERATION_READ, method, false));
    put(r, GroupServiceGrpc.getHeartbeatMethod(), (a, p, m, method) ->
        a.check(p, Kind.GROUP, ((HeartbeatRequest) m).getGroupId(), AclOperation.ACL_OPERATION_READ, method, false));
    put(r, GroupServiceGrpc.getLeaveGroupMethod(), (a, p, m, method) ->
        a.check(p, Kind.GROUP, ((LeaveGroupRequest) m).getGroupId(), AclOperation.ACL_OPERATION_READ, method, false));
    put(r, GroupServiceGrpc.getCommitOffsetsMethod(), (a, p, m, method) -> {
      CommitOffsetsRequest q = (CommitOffsetsRequest) m;
      a.check(p, Kind.GROUP, q.getCommit().getGroupId(), AclOperation.ACL_OPERATION_READ, method, false);
      for (CommittedOffset o : q.getCommit().getOffsetsList()) {
        a.check(p, Kind.TOPIC, o.getTopic(), AclOperation.ACL_OPERATION_CONSUME, method, false);
      }
    });
    put(r, GroupServiceGrpc.getFetchOffsetsMethod(), (a, p, m, method) ->
        a.check(p, Kind.GROUP, ((FetchOffsetsRequest) m).getGroupId(), AclOperation.ACL_OPERATION_DESCRIBE, method, false));
    put(r, GroupServiceGrpc.getDescribeGroupMethod(), (a, p, m, method) ->
        a.check(p, Kind.GROUP, ((DescribeGroupRequest) m).getGroupId(), AclOperation.ACL_OPERATION_DESCRIBE, method, false));
    r.put(GroupServiceGrpc.getListGroupsMethod().getFullMethodName(), IN_SERVICE);
    put(r, GroupServiceGrpc.getResetOffsetsMethod(), (a, p, m, method) -> {
      ResetOffsetsRequest q = (ResetOffsetsRequest) m;
      a.check(p, Kind.GROUP, q.getGroupId(), AclOperation.ACL_OPERATION_READ, method, true);
      a.check(p, Kind.TOPIC, q.getTopic(), AclOperation.ACL_OPERATION_DESCRIBE, method, false);
    });
    put(r, GroupServiceGrpc.getDeleteGroupMethod(), (a, p, m, method) ->
        a.check(p, Kind.GROUP, ((DeleteGroupRequest) m).getGroupId(), AclOperation.ACL_OPERATION_DELETE, method, true));
    // Tokens and ACLs
    put(r, AuthServiceGrpc.getCreateTokenMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getRevokeTokenMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getListTokensMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getAddAclMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getRemoveAclMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getListAclsMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getSetQuotaMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getRemoveQuotaMethod(), Rules.ADMIN);
    put(r, AuthServiceGrpc.getListQuotasMethod(), Rules.ADMIN);
    return Collections.unmodifiableMap(r);
  }

  private static void put(Map<String, Rule> r, MethodDescriptor<?, ?> m, Rule rule) {
    r.put(m.getFullMethodName(), rule);
  }

  private static final class Rules {
    static final Rule ADMIN = (a, p, m, method) ->
        a.check(p, Kind.CLUSTER, "", AclOperation.ACL_OPERATION_ADMIN, method, true);
  }
}
