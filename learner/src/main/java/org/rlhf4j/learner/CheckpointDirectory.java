package org.rlhf4j.learner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.io.CheckpointFormatException;

/**
 * A run's {@code checkpoints/step-N} directories: save the newest, keep the last few, find the
 * one to resume from. A directory only appears once complete ({@link Checkpoint} renames it into
 * place), so whatever is found is whole.
 */
public final class CheckpointDirectory {
  private static final String PREFIX = "step-";
  private final Path root;
  private final int keep;

  public CheckpointDirectory(Path runDir, int keep) {
    this.root = runDir.resolve("checkpoints");
    this.keep = keep;
  }

  /** Saves {@code contents} as {@code step-N} and prunes all but the newest {@code keep}. */
  public Path save(Checkpoint.Contents contents) throws IOException {
    Files.createDirectories(root);
    Path dir = root.resolve(PREFIX + contents.step());
    Checkpoint.save(dir, contents);
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      Checkpoint.deleteTree(all.get(i));
    }
    return dir;
  }

  /** The newest checkpoint, if any. */
  public Optional<Path> latest() throws IOException {
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * The newest checkpoint that loads whole with its optimizer state: a corrupt one (a flipped
   * byte, a disk that lost a write) is skipped, with a one-line notice, for the one before it.
   * Empty when there is none at all.
   *
   * @throws RunDirectoryException when there are checkpoints but none can be resumed
   */
  public Optional<Checkpoint.Contents> loadNewest(Consumer<String> notices) throws IOException {
    List<Path> all = list();
    String newestProblem = null;
    for (int i = all.size() - 1; i >= 0; i--) {
      Path dir = all.get(i);
      String problem;
      try {
        Checkpoint.Contents saved = Checkpoint.load(dir, DataType.FLOAT);
        if (saved.optimizer().isPresent()) {
          return Optional.of(saved);
        }
        problem = dir + " has no optimizer state to resume from";
      } catch (CheckpointFormatException | NoSuchFileException e) {
        problem = e instanceof NoSuchFileException f ? f.getFile() + ": no such file"
            : e.getMessage();
      }
      newestProblem = newestProblem == null ? problem : newestProblem;
      if (i > 0) {
        notices.accept("resume: skipped " + dir.getFileName() + " (" + problem + "); going back to "
            + all.get(i - 1).getFileName());
      }
    }
    if (newestProblem != null) {
      throw new RunDirectoryException("cannot resume: no checkpoint in " + root
          + " loads whole (the newest: " + newestProblem + ")");
    }
    return Optional.empty();
  }

  private List<Path> list() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
          .sorted(Comparator.comparingLong(CheckpointDirectory::stepOf)).toList();
    }
  }

  private static long stepOf(Path p) {
    return Long.parseLong(p.getFileName().toString().substring(PREFIX.length()));
  }
}
