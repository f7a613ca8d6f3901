package org.rlhf4j.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import org.rlhf4j.config.InvalidConfigException;
import org.rlhf4j.protocol.LogCorruptedException;

/** Which exceptions are the user's input at fault (exit 2), and how to say so in one line. */
final class BadInput {
  private BadInput() {}

  static boolean is(Throwable e) {
    return e instanceof InvalidConfigException
        || e instanceof LogCorruptedException
        || e instanceof NoSuchFileException
        || e instanceof AccessDeniedException
        || e instanceof UserInputException
        || e instanceof org.rlhf4j.tasks.data.DataFileException
        || e instanceof org.rlhf4j.model.io.CheckpointFormatException
        || e instanceof org.rlhf4j.model.tokenizer.TokenizerFileException
        || e instanceof org.rlhf4j.learner.RunDirectoryException;
  }

  static String describe(Throwable e) {
    if (e instanceof NoSuchFileException f) {
      return f.getFile() + ": no such file";
    }
    if (e instanceof AccessDeniedException f) {
      return f.getFile() + ": permission denied";
    }
    return e.getMessage();
  }
}
