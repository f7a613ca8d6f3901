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
}
