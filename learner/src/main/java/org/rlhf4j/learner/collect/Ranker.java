package org.rlhf4j.learner.collect;

/**
 * Orders the K responses to one prompt, best first, from their gold scores: the annotator of
 * comparison collection.
 *
 * <p>Implementations are immutable and safe to share between threads: a random ranker derives its
 * draws from {@code prompt}, so a prompt's ranking depends neither on batching nor on the order or
 * the thread in which prompts are ranked.
 */
@FunctionalInterface
public interface Ranker {

  /**
   * The indices 0..K−1 of {@code scores}, each once, best first.
   *
   * @param prompt the prompt's position in the collection, 0-based
   * @param scores the gold scores of the K responses, finite, K ≥ 2; not modified
   */
  int[] rank(long prompt, double[] scores);
}
