package org.rlhf4j.learner;

/**
 * Told after every training step, for progress bars, and of anything the user should know
 * (a corrupt checkpoint skipped on resume); trainers stay free of console code.
 */
@FunctionalInterface
public interface ProgressListener {
  /** Step {@code done} of {@code total} finished; {@code metric} is the stage's key number. */
  void onStep(long done, long total, String metricName, double metric);

  /** One line for the user, such as which checkpoint a resume skipped and why; ignored by default. */
  default void onNotice(String line) {
  }

  static ProgressListener none() {
    return (done, total, name, value) -> { };
  }
}
