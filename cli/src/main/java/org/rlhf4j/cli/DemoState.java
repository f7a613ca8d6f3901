package org.rlhf4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.rlhf4j.model.io.AtomicFiles;

/**
 * Which demo stages have finished and what they measured, in {@code OUT/demo-state.json}: a stage
 * is recorded only after its outputs are complete, so a resumed demo skips exactly those. Beside
 * them, {@value #INVOCATIONS} lists the command of each start and resume with its commit.
 */
final class DemoState {
  static final String FILE = "demo-state.json";
  static final String INVOCATIONS = "invocations";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final ObjectNode stages;

  private DemoState(Path file, ObjectNode stages) {
    this.file = file;
    this.stages = stages;
  }

  /**
   * The state of the demo in {@code out}, which the caller has claimed (the claim refuses a used
   * directory without resume): empty for a new directory; with {@code resume}, what an earlier
   * run recorded.
   */
  static DemoState open(Path out, boolean resume) throws IOException {
    Path file = out.resolve(FILE);
    if (resume && Files.exists(file)) {
      JsonNode root = JSON.readTree(file.toFile());
      if (!(root instanceof ObjectNode o)) {
        throw new UserInputException(file + ": expected a JSON object of finished stages");
      }
      return new DemoState(file, o);
    }
    return new DemoState(file, JSON.createObjectNode());
  }

  /** What {@code stage} recorded, if it finished. */
  Optional<JsonNode> finished(String stage) {
    return Optional.ofNullable(stages.get(stage));
  }

  /** Records {@code stage} as finished with {@code result}, atomically. */
  void finish(String stage, JsonNode result) throws IOException {
    stages.set(stage, result);
    AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(stages));
  }

  /**
   * Records that {@code command} started or resumed the demo from {@code commit}: a resumed
   * demo's models come from every invocation, which may not have run the same code.
   */
  void started(String command, String commit) throws IOException {
    stages.withArrayProperty(INVOCATIONS).addObject().put("command", command)
        .put("commit", commit);
    AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(stages));
  }

  /** Each invocation's {@code command} and {@code commit}, first to last. */
  JsonNode invocations() {
    return stages.path(INVOCATIONS);
  }

  /** An empty result object to fill. */
  static ObjectNode result() {
    return JSON.createObjectNode();
  }
}
