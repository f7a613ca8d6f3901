package org.rlhf4j.cli;

import java.nio.file.Path;
import java.util.Optional;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import picocli.CommandLine.Option;

/** The {@code --config FILE} option shared by every command that reads configuration. */
final class ConfigOption {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "HOCON file whose settings override reference.conf.")
  Path file;

  RlhfConfig load() {
    return ConfigLoader.load(Optional.ofNullable(file));
  }
}
