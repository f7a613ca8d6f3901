package org.rlhf4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code rlhf4j} command: entry point and subcommand registry. */
@Command(
    name = "rlhf4j",
    mixinStandardHelpOptions = true,
    versionProvider = Rlhf4j.Version.class,
    description = "RLHF for the JVM: SFT, reward models, asynchronous PPO and DPO on an actor system.",
    subcommands = {DemoCommand.class, TrainCommands.Sft.class, TrainCommands.RewardModel.class,
        TrainCommands.Dpo.class, PpoCommand.class, NodeCommand.class, ReplayCommand.class, CollectCommand.class, EvalCommand.class,
        GenerateCommand.class, ExportCommand.class,
        org.rlhf4j.cli.report.ReportCommand.class, ConfigCommand.class, LogCommand.class, BenchCommand.class,
        CommandLine.HelpCommand.class},
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j demo --quick                # every stage, then runs/demo/report.html",
        "  rlhf4j generate --model runs/demo/ppo/model --prompt \"the movie was\"",
        "  rlhf4j ppo --help                  # each command's options and examples"})
public final class Rlhf4j {

  public static void main(String[] args) {
    // SLF4J binds on first use: bound here, on one thread, it need not queue and replay the calls
    // Pekko's threads make while it binds (a node's start printed three "SLF4J(W)" lines for it)
    LoggerFactory.getILoggerFactory();
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and the tests. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Rlhf4j());
    cl.setResourceBundle(new ConfigDefaults());
    cl.setExecutionExceptionHandler(new BadInputHandler());
    return cl;
  }

  /** Exit codes: 0 success, 1 failure inside rlhf4j, 2 bad input (argument, config, file). */
  static final int EXIT_BAD_INPUT = 2;

  /** Reads the version Maven wrote into the jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      Properties p = new Properties();
      try (InputStream in = Rlhf4j.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"rlhf4j " + p.getProperty("version", "unknown")};
    }
  }

  /** Turns the exceptions that mean "your input is wrong" into one line on stderr and exit code 2. */
  static final class BadInputHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception e, CommandLine cl, CommandLine.ParseResult parsed) throws Exception {
      PrintWriter err = cl.getErr();
      if (e instanceof org.rlhf4j.learner.TrainingDivergedException
          || e instanceof org.rlhf4j.actors.ppo.PipelineFailedException
          || e instanceof org.rlhf4j.learner.async.ReplayDivergedException) {
        // not the user's input, but known ways for a run to end: say why in one line
        err.println("rlhf4j: " + (e instanceof org.rlhf4j.learner.async.ReplayDivergedException
            ? "" : "training stopped: ") + e.getMessage());
        err.flush();
        return 1;
      }
      if (!BadInput.is(e)) {
        throw e;
      }
      err.println("rlhf4j: " + BadInput.describe(e));
      err.flush();
      return EXIT_BAD_INPUT;
    }
  }
}
