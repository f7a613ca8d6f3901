package org.rlhf4j.learner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.io.Checkpoint;

/**
 * A run directory held by one live run of one kind: an OS lock on {@code .rlhf4j.lock} while it
 * runs and the kind in {@code rlhf4j-run.json}, so another kind of run or a second process is
 * refused instead of overwriting it.
 */
public final class RunDirectory implements Closeable {
  public static final String SFT = "sft";
  public static final String RM = "rm";
  public static final String DPO = "dpo";
  public static final String PPO = "ppo";
  public static final String DEMO = "demo";
  /** The kinds, each with the article that reads right before it ("an sft run"). */
  private static final Map<String, String> KINDS = Map.of(SFT, "an", RM, "an", DPO, "a", PPO, "a",
      DEMO, "a");

  static final String LOCK = ".rlhf4j.lock";
  static final String MARKER = "rlhf4j-run.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  /**
   * Directories this JVM holds. POSIX record locks belong to the process, and closing any channel
   * on the file drops them, so a second claim in this JVM must be refused before opening it.
   */
  private static final Set<Path> HELD = new HashSet<>();

  private final Path path;
  private final String kind;
  private final boolean resume;
  private final Path key;
  private final FileChannel channel;

  private RunDirectory(Path path, String kind, boolean resume, Path key, FileChannel channel) {
    this.path = path;
    this.kind = kind;
    this.resume = resume;
    this.key = key;
    this.channel = channel;
  }

  /**
   * Takes {@code dir} for a run of {@code kind}, creating it; with {@code resume} a same-kind run
   * there is continued, without it only an empty or new directory is taken. Leftovers of writes a
   * crash interrupted are removed once the directory is held.
   *
   * @throws RunDirectoryException (one line) when the directory cannot be this run's
   */
  public static RunDirectory claim(Path dir, String kind, boolean resume) throws IOException {
    if (!KINDS.containsKey(kind)) {
      throw new IllegalArgumentException("unknown run kind \"" + kind + "\", expected one of "
          + KINDS.keySet());
    }
    create(dir);
    check(dir, kind, resume); // before the lock file is created, so a refusal leaves no trace
    Path key = dir.toRealPath();
    synchronized (HELD) {
      if (!HELD.add(key)) {
        throw inUse(dir, ProcessHandle.current().pid());
      }
    }
    FileChannel channel = null;
    try {
      channel = lock(dir);
      check(dir, kind, resume); // again: it may have changed before the lock was taken
      writePid(channel);
      if (!hasContent(dir) || !Files.exists(dir.resolve(MARKER))) {
        AtomicFiles.writeString(dir.resolve(MARKER), "{\"kind\": \"" + kind + "\"}\n");
      }
      for (Path d : List.of(dir, dir.resolve("checkpoints"))) {
        Checkpoint.removeLeftovers(d);
        AtomicFiles.removeLeftovers(d);
      }
      return new RunDirectory(dir, kind, resume, key, channel);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close(); // releases the lock, which this JVM alone held
      }
      release(key);
      throw e;
    }
  }

  /** The directory, as given. */
  public Path path() {
    return path;
  }

  /** The kind of run that holds it. */
  public String kind() {
    return kind;
  }

  /** Whether the run continues one found there (the claim refused content otherwise). */
  public boolean resume() {
    return resume;
  }

  /** Releases the lock; the lock file stays, as deleting it would let two processes lock two files. */
  @Override
  public void close() throws IOException {
    try {
      channel.close();
    } finally {
      release(key);
    }
  }

  private static void create(Path dir) throws IOException {
    if (Files.isRegularFile(dir)) {
      throw new RunDirectoryException(dir + " is a file, not a run directory; choose another --out");
    }
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw new RunDirectoryException(dir + ": cannot create the run directory, " + e.getFile()
          + " is a file; choose another --out");
    }
    if (!Files.isWritable(dir)) {
      throw new RunDirectoryException(dir + " is not writable; choose another --out");
    }
  }

  /** Locks the lock file; the holder's pid in it lets the next claim say who holds it. */
  private static FileChannel lock(Path dir) throws IOException {
    Path file = dir.resolve(LOCK);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException sameJvm) {
      lock = null; // HELD should have caught it; a second path to the same file can still get here
    }
    if (lock == null) {
      Optional<Long> holder = holder(channel);
      channel.close();
      throw inUse(dir, holder.orElse(-1L));
    }
    return channel;
  }

  private static void writePid(FileChannel channel) throws IOException {
    channel.truncate(0);
    channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
        .getBytes(StandardCharsets.US_ASCII)), 0);
    channel.force(false);
  }

  /** The pid the holder wrote, read through the channel already open (see {@link #HELD}). */
  private static Optional<Long> holder(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(32);
    channel.read(buf, 0);
    String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
    try {
      return Optional.of(Long.parseLong(text));
    } catch (NumberFormatException notYetWritten) {
      return Optional.empty();
    }
  }

  private static RunDirectoryException inUse(Path dir, long pid) {
    return new RunDirectoryException(dir + " is in use by another rlhf4j process"
        + (pid >= 0 ? " (pid " + pid + ")" : ""));
  }

  /** Refuses a directory holding another kind of run, or content without {@code resume}. */
  private static void check(Path dir, String kind, boolean resume) throws IOException {
    if (!hasContent(dir)) {
      return;
    }
    Optional<String> found = kindOf(dir);
    if (found.isEmpty()) {
      throw new RunDirectoryException(dir + " is not empty and has no " + MARKER
          + " saying which run it holds; choose another --out");
    }
    if (!found.get().equals(kind)) {
      throw new RunDirectoryException(dir + " holds " + KINDS.getOrDefault(found.get(), "a") + " "
          + found.get() + " run; choose another --out");
    }
    if (!resume) {
      throw new RunDirectoryException(dir + " already holds " + KINDS.get(kind) + " " + kind
          + " run; pass --resume to continue it or choose another --out");
    }
  }

  /** The kind recorded in the marker, or for a directory from before it, told by its files. */
  static Optional<String> kindOf(Path dir) throws IOException {
    Path marker = dir.resolve(MARKER);
    if (Files.exists(marker)) {
      JsonNode kind;
      try {
        kind = JSON.readTree(marker.toFile()).path("kind");
      } catch (IOException e) {
        throw new RunDirectoryException(marker + ": not valid JSON; expected {\"kind\": ...}");
      }
      if (!KINDS.containsKey(kind.asText())) {
        throw new RunDirectoryException(marker + ": key \"kind\": expected one of "
            + KINDS.keySet() + ", got " + kind);
      }
      return Optional.of(kind.asText());
    }
    if (Files.exists(dir.resolve("messages.r4jlog"))) {
      return Optional.of(PPO);
    }
    if (Files.exists(dir.resolve("demo-state.json"))) {
      return Optional.of(DEMO);
    }
    return Optional.empty(); // checkpoints/ or model/ alone cannot tell sft from dpo
  }

  /**
   * Anything but the lock file (left by every earlier run), a marker alone (a run refused for bad
   * input right after its claim wrote nothing to keep) and leftovers of interrupted writes.
   */
  private static boolean hasContent(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).anyMatch(n -> !n.equals(LOCK)
          && !n.equals(MARKER) && !Checkpoint.isLeftover(n) && !AtomicFiles.isLeftover(n));
    }
  }

  private static void release(Path key) {
    synchronized (HELD) {
      HELD.remove(key);
    }
  }
}
