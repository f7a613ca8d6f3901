package org.rlhf4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.rlhf4j.protocol.LogInspection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlhf4j log ...}: work with message logs. */
@Command(name = "log", description = "Inspect message logs.", mixinStandardHelpOptions = true,
    subcommands = {LogCommand.Inspect.class},
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j log inspect runs/demo/ppo/messages.r4jlog"})
final class LogCommand {

  /** {@code rlhf4j log inspect FILE}: counts records by type and verifies every checksum. */
  @Command(name = "inspect", mixinStandardHelpOptions = true,
      description = "Count a message log's records by type and verify every CRC32C; "
          + "exit 2 with the offset of the first corrupted record.",
      footerHeading = "%nExamples:%n",
      footer = {"  rlhf4j log inspect runs/demo/ppo/messages.r4jlog"})
  static final class Inspect implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The message log.")
    Path file;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(file)) {
        throw new NoSuchFileException(file.toString());
      }
      LogInspection inspection = LogInspection.of(file);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%s: %d records, %d bytes%s%n", file, inspection.records(),
          inspection.validBytes(),
          inspection.corruption().isEmpty() ? ", every CRC32C verified" : " before the corruption");
      for (Map.Entry<String, Long> e : inspection.countsByType().entrySet()) {
        out.printf("  %-16s %d%n", e.getKey(), e.getValue());
      }
      out.flush();
      if (inspection.corruption().isPresent()) {
        throw inspection.corruption().get();
      }
      return 0;
    }
  }
}
