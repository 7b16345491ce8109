package io.sluice.client;

/**
 * One member's replication progress as the leader sees it. Immutable.
 *
 * @param id            node id
 * @param listener      true for a non-voting member (a node being added, still catching up)
 * @param commitIndex   the member's commit index as it last reported it, -1 when not known yet
 * @param lagEntries    entries it is behind the leader's commit index, -1 when not known
 * @param lastContactMs milliseconds since the leader last heard from it, -1 when never
 */
public record FollowerStatus(String id, boolean listener, long commitIndex, long lagEntries, long lastContactMs) {}
