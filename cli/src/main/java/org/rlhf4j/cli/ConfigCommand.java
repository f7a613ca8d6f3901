package org.rlhf4j.cli;

import java.util.concurrent.Callable;
import org.rlhf4j.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code rlhf4j config ...}: look at the configuration. */
@Command(name = "config", description = "Show the effective configuration.",
    mixinStandardHelpOptions = true, subcommands = {ConfigCommand.Show.class})
final class ConfigCommand {

  /** {@code rlhf4j config show}: the defaults merged with a user file, validated, with comments. */
  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print the effective configuration (reference.conf overridden by --config), "
          + "after validation.")
  static final class Show implements Callable<Integer> {
    @Mixin ConfigOption config;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().print(ConfigLoader.render(config.load()));
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
