package org.rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.Overrides;
import org.rlhf4j.config.RlhfConfig;
import picocli.CommandLine.Option;

/** {@code --config FILE} and {@code --set KEY=VALUE}, for the commands that read configuration. */
class ConfigOption {
  @Option(names = {"-c", "--config"}, paramLabel = "FILE",
      description = "HOCON file whose settings override reference.conf (`rlhf4j config show` "
          + "lists every setting with its default).")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "A setting over --config's file, checked as the file's are; repeatable, "
          + "the last wins. KEY as in reference.conf, with or without rlhf4j.: --set "
          + "ppo.kl-coef=0.1. A command's own options (such as --workers) go over --set.")
  List<String> settings = new ArrayList<>();

  /** The file with the command line's settings on top. */
  RlhfConfig load() {
    return load(Overrides.none());
  }

  /** The file with {@code preset} (a command's own, --quick), then the --set settings, on top. */
  RlhfConfig load(Overrides preset) {
    return ConfigLoader.load(Optional.ofNullable(file), overrides(preset));
  }

  /** Like {@link #load()} over a command's {@code underlay} (its defaults beneath the file). */
  RlhfConfig load(Map<String, ?> underlay, String origin) {
    return ConfigLoader.load(Optional.ofNullable(file), underlay, origin,
        overrides(Overrides.none()));
  }

  /** {@code preset}, then every --set in the order given. */
  Overrides overrides(Overrides preset) {
    Overrides o = preset;
    for (String s : settings) {
      o = o.set(s);
    }
    return o;
  }
}
