package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Tiny data sets in TRL's formats for the command tests: {@code sft.jsonl} ({"prompt",
 * "completion"}), {@code prefs.jsonl} ({"prompt", "chosen", "rejected"}) and
 * {@code prompts.jsonl} ({"prompt"}).
 */
final class TinyData {
  private TinyData() {}

  /** Writes {@code n} SFT examples and {@code n} preference pairs, and {@code prompts}, into dir. */
  static void write(Path dir, int n, String... prompts) throws IOException {
    List<String> sft = new ArrayList<>();
    List<String> prefs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sft.add("{\"prompt\": \"q" + i + " \", \"completion\": \"a" + i + "\"}");
      prefs.add("{\"prompt\": \"p" + i + " \", \"chosen\": \"good\", \"rejected\": \"bad\"}");
    }
    Files.write(dir.resolve("sft.jsonl"), sft);
    Files.write(dir.resolve("prefs.jsonl"), prefs);
    List<String> lines = new ArrayList<>();
    for (String p : prompts) {
      lines.add("{\"prompt\": \"" + p + "\"}");
    }
    Files.write(dir.resolve("prompts.jsonl"), lines);
  }

  /**
   * The tiny data of {@link #write} with an SFT model in {@code dir/sft} and a reward model in
   * {@code dir/rm}, trained by the commands with {@code config} (which keeps both to a few steps).
   */
  static void models(Path dir, Path config) throws IOException {
    write(dir, 8, "Hi ", "Yo ", "So ");
    succeed("sft", "--data", dir.resolve("sft.jsonl").toString(), "--config", config.toString(),
        "--out", dir.resolve("sft").toString());
    succeed("rm", "--data", dir.resolve("prefs.jsonl").toString(), "--config", config.toString(),
        "--out", dir.resolve("rm").toString(), "--init", dir.resolve("sft/model").toString());
  }

  private static void succeed(String... args) {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run(args);
    if (r.exit() != 0) {
      throw new AssertionError("rlhf4j " + String.join(" ", args) + " failed: " + r.err());
    }
  }
}
