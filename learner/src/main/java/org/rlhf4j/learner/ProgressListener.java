package org.rlhf4j.learner;

/** Told after every training step, for progress bars; trainers stay free of console code. */
@FunctionalInterface
public interface ProgressListener {
  /** Step {@code done} of {@code total} finished; {@code metric} is the stage's key number. */
  void onStep(long done, long total, String metricName, double metric);

  static ProgressListener none() {
    return (done, total, name, value) -> { };
  }
}
