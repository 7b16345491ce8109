package io.sluice.client;

import java.util.Objects;

/**
 * Who a group consumer is in its group right now: what an atomic write needs to commit the group's
 * offsets together with its records ({@code Producer.sendAtomically(records, offsets, group)}). The
 * server fences the write when {@code generation} is no longer the group's current one (a rebalance
 * happened since), so a consumer that lost its partitions can never commit offsets for them.
 * Immutable.
 *
 * @param groupId    the group id, not null
 * @param memberId   the member id the group assigned on join, not null
 * @param generation the generation of the member's current assignment
 */
public record ConsumerGroupMetadata(String groupId, String memberId, int generation) {
  /**
   * Checks that {@code groupId} and {@code memberId} are not null.
   *
   * @param groupId    the group id, not null
   * @param memberId   the member id the group assigned on join, not null
   * @param generation the generation of the member's current assignment
   */
  public ConsumerGroupMetadata {
    Objects.requireNonNull(groupId, "groupId");
    Objects.requireNonNull(memberId, "memberId");
  }
}
