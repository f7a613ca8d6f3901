package org.rlhf4j.learner.preference;

/** Argument checks shared by the pairwise objectives: every array holds one entry per pair. */
final class PairArrays {
  private PairArrays() {}

  /** Returns P after checking that {@code first} and all {@code others} have P ≥ 1 entries. */
  static int count(String firstName, double[] first, String[] names, double[]... others) {
    if (first == null) {
      throw new IllegalArgumentException(firstName + " is null; expected one entry per pair");
    }
    if (first.length == 0) {
      throw new IllegalArgumentException(
          firstName + " is empty; an objective needs at least one pair");
    }
    for (int a = 0; a < others.length; a++) {
      if (others[a] == null) {
        throw new IllegalArgumentException(names[a] + " is null; expected one entry per pair");
      }
      if (others[a].length != first.length) {
        throw new IllegalArgumentException(names[a] + " has " + others[a].length + " entries but "
            + firstName + " has " + first.length + "; every array needs one entry per pair");
      }
    }
    return first.length;
  }
}
