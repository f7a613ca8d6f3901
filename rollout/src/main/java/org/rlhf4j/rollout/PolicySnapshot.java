package org.rlhf4j.rollout;

import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.ParameterStore;

/**
 * A frozen policy: the model, a private copy of its weights and the version they were taken at.
 * Engines only read it, so any number of them may share one snapshot; its weights must not change
 * while engines sample from it (an engine keeps copies packed from them from one batch of the
 * same snapshot to the next). A LoRA policy is sampled merged ({@code model} without adapters);
 * {@code trainable} then holds a copy of its heads and adapters, all a node that already has the
 * base needs to rebuild it, else null. {@code ownsCopies}: the stores were copied for this
 * snapshot alone, so {@link #free} may free them; {@code lease}, when not null, says where
 * {@code params} goes back to instead.
 */
public record PolicySnapshot(Gpt model, ParameterStore params, long version,
    ParameterStore trainable, boolean ownsCopies, SnapshotSpares.Lease lease) {

  /** A lease is only ever on the copy it leases, of a snapshot that owns it and nothing else. */
  public PolicySnapshot {
    if (lease != null && (!ownsCopies || trainable != null || params != lease.copy())) {
      throw new IllegalArgumentException("a snapshot's lease must be on its own params, alone");
    }
  }

  /** A snapshot of a model without adapters; {@code params} is not copied and must stay frozen. */
  public PolicySnapshot(Gpt model, ParameterStore params, long version) {
    this(model, params, version, null, false, null);
  }

  /** Copies {@code params}, so later training cannot change what the snapshot samples from. */
  public static PolicySnapshot freeze(Gpt model, ParameterStore params, long version) {
    return new PolicySnapshot(model, params.copy(), version, null, true, null);
  }

  /**
   * As {@link #freeze(Gpt, ParameterStore, long)}, copying into a spare a freed snapshot left in
   * {@code spares} when there is one; this snapshot's {@link #free} leaves its copy there too.
   */
  public static PolicySnapshot freeze(Gpt model, ParameterStore params, long version,
      SnapshotSpares spares) {
    SnapshotSpares.Lease lease = spares.copyOf(params);
    return new PolicySnapshot(model, lease.copy(), version, null, true, lease);
  }

  /**
   * A LoRA policy's snapshot over {@code merged} and {@code trainable}, copies made for it alone
   * (it owns them).
   */
  public static PolicySnapshot ofMergedCopies(Gpt base, ParameterStore merged, long version,
      ParameterStore trainable) {
    return new PolicySnapshot(base, merged, version, trainable, true, null);
  }

  /**
   * Frees the copies this snapshot owns now, rather than whenever the collector gets to their
   * wrappers; no engine may read the snapshot afterwards. A copy frozen with spares goes back to
   * them instead, and the next freeze writes over it: freed as far as this snapshot's readers
   * are concerned. False for a snapshot over someone else's store, and for a second call on one
   * whose copy went back to its spares (it may be another snapshot's by then).
   */
  public boolean free() {
    if (!ownsCopies) {
      return false;
    }
    if (lease != null) {
      return lease.giveBack();
    }
    params.release();
    if (trainable != null) {
      trainable.release();
    }
    return true;
  }
}
