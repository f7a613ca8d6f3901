package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Replaces a file so that readers, and the disk after a crash, see either the old content or the
 * complete new content, never a mix: write a sibling temp file, fsync it, rename it over the target.
 */
public final class AtomicFiles {
  /** Keeps temp names under common 255-byte file name limits even for long target names. */
  private static final int MAX_NAME_PREFIX = 64;
  private static final int MAX_NAME_ATTEMPTS = 16;
  /** The temp files {@link #createSibling} makes: {@code .NAME.HEX.tmp}. */
  private static final Pattern LEFTOVER = Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");

  private AtomicFiles() {}

  /** An action on a value that may fail with an {@link IOException}. */
  @FunctionalInterface
  public interface IOConsumer<T> {
    void accept(T value) throws IOException;
  }

  /**
   * Lets {@code writeTemp} fill an empty temp file in the target's directory, then moves it over
   * {@code target}. If anything fails (including {@code writeTemp} throwing), the temp file is
   * deleted, {@code target} is left as it was, and the failure is rethrown.
   */
  public static void writeAtomically(Path target, IOConsumer<Path> writeTemp) throws IOException {
    Path absoluteTarget = target.toAbsolutePath();
    Path directory = absoluteTarget.getParent();
    Path temp = createSibling(absoluteTarget);
    try {
      writeTemp.accept(temp);
      forceToDisk(temp);
      // rename(2) within one directory is atomic on POSIX and replaces an existing target
      Files.move(temp, absoluteTarget, StandardCopyOption.ATOMIC_MOVE);
    } catch (Throwable failure) {
      deleteAfterFailure(temp, failure);
      throw failure;
    }
    forceDirectoryToDisk(directory);
  }

  /** Atomically replaces {@code target} with {@code content} encoded as UTF-8. */
  public static void writeString(Path target, String content) throws IOException {
    writeAtomically(target, temp -> Files.writeString(temp, content, StandardCharsets.UTF_8));
  }

  /** Whether {@code fileName} is a temp file that a write interrupted by a crash left behind. */
  public static boolean isLeftover(String fileName) {
    return LEFTOVER.matcher(fileName).matches();
  }

  /**
   * Deletes the temp files that writes into {@code directory} left when a crash interrupted them;
   * only safe while no write into it is under way (the caller holds the directory).
   */
  public static void removeLeftovers(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return;
    }
    List<Path> found;
    try (Stream<Path> s = Files.list(directory)) {
      found = s.filter(p -> isLeftover(p.getFileName().toString()) && Files.isRegularFile(p))
          .toList();
    }
    for (Path p : found) {
      Files.deleteIfExists(p);
    }
  }

  /** Makes a directory's entries (files created, renamed or deleted in it) durable. */
  public static void forceDirectory(Path directory) {
    forceDirectoryToDisk(directory);
  }

  /**
   * Not {@link Files#createTempFile}: that creates the file with mode 0600, and the renamed result
   * would then be unreadable to other users, unlike a file written directly.
   */
  private static Path createSibling(Path target) throws IOException {
    String name = target.getFileName().toString();
    String prefix = "." + (name.length() > MAX_NAME_PREFIX ? name.substring(0, MAX_NAME_PREFIX) : name);
    for (int attempt = 1; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong());
      try {
        return Files.createFile(target.resolveSibling(prefix + "." + suffix + ".tmp"));
      } catch (FileAlreadyExistsException collision) {
        if (attempt == MAX_NAME_ATTEMPTS) {
          throw collision;
        }
      }
    }
  }

  private static void forceToDisk(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
  }

  /** Makes the rename itself durable; the rename is atomic either way, so failure here is harmless. */
  private static void forceDirectoryToDisk(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException platformCannotOpenDirectories) {
      // e.g. Windows cannot open a directory as a channel; the rename has happened regardless
    }
  }

  private static void deleteAfterFailure(Path temp, Throwable failure) {
    try {
      Files.deleteIfExists(temp);
    } catch (IOException deleteFailure) {
      failure.addSuppressed(deleteFailure);
    }
  }
}
