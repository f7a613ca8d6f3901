package org.rlhf4j.cli.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.InvalidConfigException;
import org.rlhf4j.config.RlhfConfig;

/**
 * One stage's directory in a run: where it is, what trained there (told by its metrics), its
 * metrics and the effective configuration it wrote, when that can still be read.
 *
 * @param directory relative to the run directory, '/'-separated: {@code ppo},
 *     {@code sweep/ppo-kl0.2}
 */
record StageRun(String directory, TrainingStage stage, MetricsSeries metrics,
    Optional<RlhfConfig> config) {
  static final String CONFIG_FILE = "config.conf";

  /**
   * Whether the report draws its charts: a stage right under the run directory is, one a level
   * deeper (a sweep's run) is only summed up in the tables.
   */
  boolean charted() {
    return !directory.contains("/");
  }

  /** The directory's own name: {@code ppo-kl0.2} for {@code sweep/ppo-kl0.2}. */
  String name() {
    return directory.substring(directory.lastIndexOf('/') + 1);
  }

  /**
   * The configuration in {@code dir/config.conf}; empty when there is none or it no longer reads
   * (written by an older rlhf4j with settings since renamed): a report draws what it can.
   */
  static Optional<RlhfConfig> readConfig(Path dir) {
    Path file = dir.resolve(CONFIG_FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(ConfigLoader.load(file));
    } catch (InvalidConfigException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
