package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks where a command will write before it does any work: a run that trains for an hour and
 * then cannot save has wasted the hour. Each check writes and deletes a probe file, so what the
 * file system would refuse (permissions, a read-only mount, a full disk) is found for real.
 */
final class OutputPaths {
  private OutputPaths() {}

  /** {@code dir} (named by {@code option}) is, or can become, a directory this process writes in. */
  static void requireWritableDirectory(Path dir, String option) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new UserInputException(option + " " + dir + ": is a file; expected a directory");
    }
    probe(existingAncestor(dir, option), option + " " + dir);
  }

  /** {@code file} (named by {@code option}) can be written: not a directory, its parent writable. */
  static void requireWritableFile(Path file, String option) {
    if (Files.isDirectory(file)) {
      throw new UserInputException(option + " " + file + ": is a directory; expected a file");
    }
    Path parent = file.toAbsolutePath().getParent();
    probe(existingAncestor(parent, option), option + " " + file);
  }

  /** The nearest existing directory at or above {@code dir}: where the first write would go. */
  private static Path existingAncestor(Path dir, String option) {
    Path p = dir.toAbsolutePath();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p != null && !Files.isDirectory(p)) {
      throw new UserInputException(option + " " + dir + ": " + p + " is a file, not a directory");
    }
    return p;
  }

  private static void probe(Path dir, String what) {
    if (dir == null) {
      return;
    }
    try {
      Path probe = Files.createTempFile(dir, ".rlhf4j-write-check", ".tmp");
      Files.delete(probe);
    } catch (AccessDeniedException e) {
      throw new UserInputException(what + ": cannot write in " + dir + ": permission denied");
    } catch (FileSystemException e) {
      throw new UserInputException(what + ": cannot write in " + dir + ": "
          + (e.getReason() != null ? e.getReason() : e.getMessage()));
    } catch (IOException e) {
      throw new UserInputException(what + ": cannot write in " + dir + ": " + e.getMessage());
    }
  }
}
