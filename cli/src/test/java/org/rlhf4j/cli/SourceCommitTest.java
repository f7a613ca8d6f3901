package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceCommitTest {
  @TempDir Path dir;

  private static final String SHA = "74b64fe6b6fd35c1d2a93f4a4e8c8cbb53f0a7de";

  @Test
  void aCleanCheckoutIsItsCommitAndAChangedOneSaysSo() {
    assertEquals(SHA, SourceCommit.parse("# branch.oid " + SHA + "\n# branch.head main\n"));
    assertEquals(SHA + SourceCommit.DIRTY, SourceCommit.parse("# branch.oid " + SHA
        + "\n# branch.head main\n1 .M N... 100644 100644 100644 a b cli/pom.xml\n"));
    assertEquals(SourceCommit.UNKNOWN, SourceCommit.parse("# branch.oid (initial)\n"));
  }

  @Test
  void outsideACheckoutTheCommitIsUnknown() {
    assertEquals(SourceCommit.UNKNOWN, SourceCommit.of(dir));
    assertEquals(SourceCommit.UNKNOWN, SourceCommit.of(dir.resolve("missing")));
  }

  @Test
  void aCheckoutGivesTheCommitGitDoes() throws Exception {
    assumeTrue(git(dir, "init", "-q") == 0, "no git on this machine");
    Files.writeString(dir.resolve("a.txt"), "one\n");
    git(dir, "add", "a.txt");
    git(dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "one");
    String head = gitOut(dir, "rev-parse", "HEAD");
    Files.createDirectories(dir.resolve("sub"));
    assertEquals(head, SourceCommit.of(dir.resolve("sub")), "found from below the top too");
    Files.writeString(dir.resolve("a.txt"), "two\n");
    assertEquals(head + SourceCommit.DIRTY, SourceCommit.of(dir));
  }

  private static int git(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git"));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile())
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    } catch (IOException e) {
      return -1; // no git
    }
  }

  private static String gitOut(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("git"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }
}
