package org.rlhf4j.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NoSuchFileException;
import org.rlhf4j.config.InvalidConfigException;
import org.rlhf4j.protocol.LogCorruptedException;

/** Which exceptions are the user's input at fault (exit 2), and how to say so in one line. */
final class BadInput {
  private BadInput() {}

  static boolean is(Throwable e) {
    return fileSystem(e) != null
        || e instanceof InvalidConfigException
        || e instanceof LogCorruptedException
        || e instanceof NoSuchFileException
        || e instanceof AccessDeniedException
        || e instanceof UserInputException
        || e instanceof org.rlhf4j.tasks.data.DataFileException
        || e instanceof org.rlhf4j.model.io.CheckpointFormatException
        || e instanceof org.rlhf4j.model.tokenizer.TokenizerFileException
        || e instanceof org.rlhf4j.learner.RunDirectoryException
        || e instanceof org.rlhf4j.learner.UnusableDataException;
  }

  /**
   * What the file system refused, for a failure the user fixes outside rlhf4j (a full disk, a
   * read-only mount, a file where a directory should be), or null; looks through wrappers.
   */
  private static String fileSystem(Throwable e) {
    String file = "";
    String problem = null;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof FileSystemException f && f.getFile() != null) {
        file = f.getFile() + ": "; // the innermost names the file; wrappers only repeat it
      }
      String message = String.valueOf(t.getMessage());
      if (message.contains("No space left on device")) {
        problem = "no space left on device; free some space or choose another --out";
      } else if (message.contains("Read-only file system")) {
        problem = "read-only file system; choose another --out";
      } else if (t instanceof NotDirectoryException) {
        problem = "a file stands where a directory was expected";
      }
    }
    return problem == null ? null : file + problem;
  }

  static String describe(Throwable e) {
    String fileSystem = fileSystem(e);
    if (fileSystem != null) {
      return fileSystem;
    }
    if (e instanceof NoSuchFileException f) {
      return f.getFile() + ": no such file";
    }
    if (e instanceof AccessDeniedException f) {
      return f.getFile() + ": permission denied";
    }
    return e.getMessage();
  }
}
