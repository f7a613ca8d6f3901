package org.rlhf4j.cli;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import picocli.CommandLine.Model.CommandSpec;

/** The command line that ran a command, as a shell would take it back, for a run's record. */
final class CommandText {
  private CommandText() {}

  /** {@code rlhf4j demo --quick --out 'my runs/x'} for the command of {@code spec}. */
  static String of(CommandSpec spec) {
    // a subcommand's parse result holds the whole command line, the subcommand's name included
    List<String> args = spec.commandLine().getParseResult().originalArgs();
    String program = spec.root() == spec ? "rlhf4j " + spec.name() : spec.root().name();
    return Stream.concat(Stream.of(program), args.stream().map(CommandText::word))
        .collect(Collectors.joining(" "));
  }

  /** {@code arg} as one shell word: as it is when it is safe, else single-quoted. */
  static String word(String arg) {
    return arg.matches("[A-Za-z0-9_./=:,+@%-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
  }
}
