package org.rlhf4j.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.concurrent.TimeUnit;

/**
 * The git commit of the checkout rlhf4j runs from, for a run's record of how to reproduce it:
 * {@value #UNKNOWN} when there is no git or no checkout (an unpacked release, a jar elsewhere).
 */
final class SourceCommit {
  static final String UNKNOWN = "unknown";
  static final String DIRTY = " with uncommitted changes";
  /** git answers in milliseconds; a hung one (a network file system) must not stop a run. */
  private static final long TIMEOUT_SECONDS = 10;

  private SourceCommit() {}

  /** The commit of the checkout holding the running classes (a jar under cli/target, say). */
  static String ofRunningCode() {
    CodeSource source = SourceCommit.class.getProtectionDomain().getCodeSource();
    if (source == null) {
      return UNKNOWN;
    }
    try {
      Path classes = Path.of(source.getLocation().toURI());
      return of(Files.isDirectory(classes) ? classes : classes.getParent());
    } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
      return UNKNOWN;
    }
  }

  /**
   * The commit checked out in the git work tree holding {@code dir}, full length, followed by
   * {@value #DIRTY} when a tracked file differs from it; {@value #UNKNOWN} when {@code dir} is in
   * no work tree or git cannot be run.
   */
  static String of(Path dir) {
    if (dir == null || !Files.isDirectory(dir)) {
      return UNKNOWN;
    }
    // one call for both: "# branch.oid SHA" (or "(initial)"), then a line per changed file
    Path out = null;
    try {
      // into a file, not a pipe: a hung git cannot block a read, and the timeout holds
      out = Files.createTempFile("rlhf4j-git-status", ".txt");
      Process p = new ProcessBuilder("git", "status", "--porcelain=v2", "--branch",
          "--untracked-files=no").directory(dir.toFile())
          .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return UNKNOWN;
      }
      return p.exitValue() == 0 ? parse(Files.readString(out, StandardCharsets.UTF_8)) : UNKNOWN;
    } catch (IOException e) {
      return UNKNOWN; // no git on the PATH
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return UNKNOWN;
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException e) {
          // a temp file left behind is harmless
        }
      }
    }
  }

  /** The commit in {@code git status --porcelain=v2 --branch} output. */
  static String parse(String status) {
    String commit = UNKNOWN;
    boolean changed = false;
    for (String line : status.split("\n")) {
      if (line.startsWith("# branch.oid ")) {
        String oid = line.substring("# branch.oid ".length()).strip();
        commit = oid.matches("[0-9a-f]{40,64}") ? oid : UNKNOWN; // "(initial)": no commit yet
      } else if (!line.isBlank() && !line.startsWith("#")) {
        changed = true;
      }
    }
    return commit.equals(UNKNOWN) || !changed ? commit : commit + DIRTY;
  }
}
