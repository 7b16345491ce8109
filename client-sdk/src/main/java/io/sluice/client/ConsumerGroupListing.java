package io.sluice.client;

/**
 * One consumer group as {@link Admin#listGroups()} reports it. Immutable.
 *
 * @param groupId    the group id
 * @param state      EMPTY, PREPARING_REBALANCE or STABLE
 * @param generation the group's generation (bumped by every completed rebalance)
 * @param members    number of members
 */
public record ConsumerGroupListing(String groupId, String state, int generation, int members) {}
