package org.rlhf4j.actors.ppo;

import java.util.IdentityHashMap;
import java.util.Map;
import org.rlhf4j.rollout.PolicySnapshot;

/**
 * How many workers still read each policy snapshot handed out, so that a snapshot's memory is
 * freed or reused only once the last of them has moved on. Owned by one actor.
 */
public final class SnapshotReaders {
  private final Map<PolicySnapshot, Integer> readers = new IdentityHashMap<>();

  /** {@code snapshot} was handed to {@code workers} more workers, each of which will release it. */
  public void lent(PolicySnapshot snapshot, int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("a snapshot is lent to at least one worker, got "
          + workers);
    }
    readers.merge(snapshot, workers, Integer::sum);
  }

  /**
   * One worker no longer reads {@code snapshot}; true when it was the last, and the snapshot's
   * memory is free. A snapshot never lent is nobody's to free: false.
   */
  public boolean released(PolicySnapshot snapshot) {
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

  /** Whether some worker still reads {@code snapshot}. */
  public boolean read(PolicySnapshot snapshot) {
    return readers.containsKey(snapshot);
  }

  /** How many snapshots some worker still reads. */
  public int held() {
    return readers.size();
  }
}
