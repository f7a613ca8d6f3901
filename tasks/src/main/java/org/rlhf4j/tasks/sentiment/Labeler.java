package org.rlhf4j.tasks.sentiment;

/**
 * A gold judge of text: one number per text, higher meaning more of what the task rewards.
 *
 * <p>Implementations are deterministic and safe to share between threads.
 */
@FunctionalInterface
public interface Labeler {

    /** The gold score of {@code text}; a pure function of the text. */
    double score(String text);
}
