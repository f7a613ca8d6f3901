package org.rlhf4j.rollout;

import java.util.ArrayDeque;
import org.rlhf4j.model.ParameterStore;

/**
 * Copies of freed snapshots kept for the next {@link PolicySnapshot#freeze}, which writes into
 * one instead of allocating. Why: a copy into fresh native memory is mostly page faults (18 ms
 * against 0.5 ms for the demo's policy), and memory freed on the coordinator's thread was often
 * not what the learner's next allocation got (JFR, BENCHMARKS.md session 27). Snapshots are
 * freed on one thread and frozen on another, so every call is synchronized.
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

  /** Keeps {@code copy} for a later freeze when there is room; false when the caller frees it. */
  synchronized boolean keep(ParameterStore copy) {
    if (spares.size() >= capacity) {
      return false;
    }
    spares.push(copy);
    return true;
  }

  /** A copy of {@code params}, in a kept spare of the same layout and type when there is one. */
  ParameterStore copyOf(ParameterStore params) {
    ParameterStore spare;
    synchronized (this) {
      spare = spares.poll();
    }
    if (spare == null) {
      return params.copy();
    }
    if (!spare.layout().equals(params.layout()) || spare.dtype() != params.dtype()) {
      spare.release();
      return params.copy();
    }
    spare.copyFrom(params);
    return spare;
  }

  /** How many copies are kept now. */
  public synchronized int size() {
    return spares.size();
  }
}
