package org.rlhf4j.learner.eval;

/** Which text of a sample the gold labeler reads. */
public enum ScoredText {
  /** The prompt and the response as one text: the sentiment task judges the whole review. */
  PROMPT_AND_RESPONSE,
  /** The response alone, for tasks whose prompts would otherwise dominate the score. */
  RESPONSE;

  /** This text of {@code sample}. */
  public String of(PolicySamples.Sample sample) {
    return this == PROMPT_AND_RESPONSE ? sample.text() : sample.responseText();
  }
}
