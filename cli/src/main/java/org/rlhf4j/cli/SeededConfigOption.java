package org.rlhf4j.cli;

import org.rlhf4j.config.Overrides;
import picocli.CommandLine.Option;

/** {@link ConfigOption} and {@code --seed N}, for commands whose results depend on random draws. */
final class SeededConfigOption extends ConfigOption {
  @Option(names = "--seed", paramLabel = "N",
      description = "Seed of every random draw (--set run.seed=N, over any --set). "
          + "Default: ${bundle:default.rlhf4j.run.seed}.")
  Long seed;

  @Override
  Overrides overrides(Overrides preset) {
    Overrides o = super.overrides(preset);
    return seed == null ? o : o.with("rlhf4j.run.seed", seed, "--seed " + seed);
  }
}
