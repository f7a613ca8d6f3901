package org.rlhf4j.actors.cluster;

import java.util.IdentityHashMap;
import java.util.Map;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * How many of a node's workers still read each policy version it handed out, so that a
 * version's memory is reused only once the last of them has moved on. Owned by one actor.
 */
final class SnapshotReaders {
  private final Map<PolicySnapshot, Integer> readers = new IdentityHashMap<>();

  /** {@code snapshot} was handed to {@code workers} workers, each of which will release it. */
  void lent(PolicySnapshot snapshot, int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("a snapshot is lent to at least one worker, got "
          + workers);
    }
    readers.put(snapshot, workers);
  }

  /**
   * One worker no longer reads {@code snapshot}; true when it was the last, and the snapshot's
   * memory is free. A snapshot never lent is nobody's to free: false.
   */
  boolean released(PolicySnapshot snapshot) {
    Integer left = readers.get(snapshot);
    if (left == null) {
      return false;
    }
    if (left == 1) {
      readers.remove(snapshot);
      return true;
    }
    readers.put(snapshot, left - 1);
    return false;
  }

  /** How many snapshots some worker still reads. */
  int held() {
    return readers.size();
  }
}
