package org.rlhf4j.cli;

import java.util.concurrent.Callable;
import org.rlhf4j.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code rlhf4j config ...}: look at the configuration. */
@Command(name = "config", description = "Show the effective configuration.",
    mixinStandardHelpOptions = true, subcommands = {ConfigCommand.Show.class},
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j config show --config my.conf --set ppo.kl-coef=0.1"})
final class ConfigCommand {

  /** {@code rlhf4j config show}: the defaults merged with a user file, validated, with comments. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print the effective configuration (reference.conf overridden by --config, "
          + "then --set and --seed), after validation, each setting with its comment.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j config show",
          "  rlhf4j config show --config my.conf --set ppo.kl-coef=0.1 --seed 7"})
  static final class Show implements Callable<Integer> {
    @Mixin SeededConfigOption config;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().print(ConfigLoader.render(config.load()));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
