package org.rlhf4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.rlhf4j.actors.ppo.PipelineReplay;
import org.rlhf4j.learner.async.Replay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rlhf4j replay DIR}: rebuilds a PPO run's learner from its message log and checks it. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Feed a PPO run's message log (DIR/messages.r4jlog, resumed segments included) "
        + "to a fresh learner built from DIR's configuration and initial weights, and print the "
        + "SHA-256 of the weights it rebuilt. Every record's checksum and sequence number is "
        + "checked; with DIR/summary.json the result must equal its weights_sha256 (exit 1 and "
        + "both hashes if not). A log without the run's end (a run that was stopped) replays to "
        + "where it ends, and says so.",
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j replay runs/demo/ppo"})
final class ReplayCommand implements Callable<Integer> {
  @Parameters(paramLabel = "DIR", description = "The run directory of `rlhf4j ppo`.")
  Path dir;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Replay.Outcome o = PipelineReplay.run(dir);
    String sha = o.learner().policyParams().sha256();
    long version = o.learner().version();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Path summaryFile = dir.resolve("summary.json");
    JsonNode summary = Files.exists(summaryFile)
        ? new ObjectMapper().readTree(summaryFile.toFile()) : null;
    out.printf(Locale.ROOT, "{\"weights_sha256\": \"%s\", \"version\": %d, \"complete\": %b, "
        + "\"matches_summary\": %s}%n", sha, version, o.complete(),
        summary == null ? "null" : Boolean.toString(matches(summary, sha, version)));
    out.flush();
    if (summary != null && !matches(summary, sha, version)) {
      err.printf(Locale.ROOT, "rlhf4j: replay of %s ended at version %d with weights %s, but "
          + "%s says version %d with %s%s%n", dir, version, sha, summaryFile,
          summary.path("version").asLong(), summary.path("weights_sha256").asText(),
          o.complete() ? "" : " (the log ends before the run did: it was cut)");
      err.flush();
      return 1;
    }
    if (!o.complete()) {
      err.printf(Locale.ROOT, "rlhf4j: the message log ends at version %d without the run's "
          + "end: the run was stopped or is still running (`rlhf4j ppo --resume` continues it); "
          + "these are the weights at version %d%n", version, version);
      err.flush();
    }
    return 0;
  }

  private static boolean matches(JsonNode summary, String sha, long version) {
    return summary.path("weights_sha256").asText().equals(sha)
        && summary.path("version").asLong() == version;
  }
}
