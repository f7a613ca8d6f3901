package org.rlhf4j.learner;

/** A tokenized comparison: a prompt, the preferred and the other response, and an optional margin. */
public record PreferencePair(int[] prompt, int[] chosen, int[] rejected, double margin) {}
