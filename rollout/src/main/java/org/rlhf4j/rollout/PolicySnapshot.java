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
 * snapshot alone, so {@link #free} may free them; into {@code spares} when given.
 */
public record PolicySnapshot(Gpt model, ParameterStore params, long version,
    ParameterStore trainable, boolean ownsCopies, SnapshotSpares spares) {

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
    return new PolicySnapshot(model, spares.copyOf(params), version, null, true, spares);
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
   * wrappers (a copy freed at once is what the next one is made in, without page faults); no
   * engine may read the snapshot afterwards. A copy its {@code spares} keep is as good as freed: the
   * next freeze writes over it. A snapshot over someone else's store frees nothing: false.
   */
  public boolean free() {
    if (!ownsCopies) {
      return false;
    }
    if (trainable == null && spares != null && spares.keep(params)) {
      return true;
    }
    params.release();
    if (trainable != null) {
      trainable.release();
    }
    return true;
  }
}
