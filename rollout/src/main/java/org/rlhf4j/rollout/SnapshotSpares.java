package org.rlhf4j.rollout;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rlhf4j.model.ParameterStore;

/**
 * Copies of freed snapshots kept for the next {@link PolicySnapshot#freeze}, which writes into
 * one instead of allocating. Why: a copy into fresh native memory is mostly page faults (18 ms
 * against 0.5 ms for the demo's policy, BENCHMARKS.md session 26), and memory freed on the
 * coordinator's thread was often not what the learner's next allocation got (JFR, session 27).
 * Snapshots are freed on one thread and frozen on another: the spares are taken and given back
 * under this object's lock.
 */
public final class SnapshotSpares {
  private final int capacity;
  private final ArrayDeque<ParameterStore> spares = new ArrayDeque<>();

  /** Keeps up to {@code capacity} copies; more are freed as they come. */
  public SnapshotSpares(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("keep at least one spare copy, got " + capacity);
    }
    this.capacity = capacity;
  }

  /** A copy of {@code params}, in a kept spare of the same layout and type when there is one. */
  Lease copyOf(ParameterStore params) {
    ParameterStore spare;
    synchronized (this) {
      spare = spares.poll();
    }
    if (spare != null && spare.layout().equals(params.layout())
        && spare.dtype() == params.dtype()) {
      spare.copyFrom(params); // no one else holds it: it left the deque under the lock
      return new Lease(spare);
    }
    if (spare != null) {
      spare.release();
    }
    return new Lease(params.copy());
  }

  /** How many copies are kept now. */
  public synchronized int size() {
    return spares.size();
  }

  private synchronized boolean keep(ParameterStore copy) {
    if (spares.size() >= capacity) {
      return false;
    }
    spares.push(copy);
    return true;
  }

  /**
   * One snapshot's copy, given back once: a second give-back (the copy may be another snapshot's
   * by then) does nothing.
   */
  public final class Lease {
    private final ParameterStore copy;
    private final AtomicBoolean givenBack = new AtomicBoolean();

    private Lease(ParameterStore copy) {
      this.copy = copy;
    }

    ParameterStore copy() {
      return copy;
    }

    /** Keeps the copy as a spare, or frees it when the spares are full; false the second time. */
    boolean giveBack() {
      if (!givenBack.compareAndSet(false, true)) {
        return false;
      }
      if (!keep(copy)) {
        copy.release();
      }
      return true;
    }
  }
}
