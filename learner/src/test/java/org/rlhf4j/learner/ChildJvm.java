package org.rlhf4j.learner;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A test's child JVM on the test's own java and classpath, to be killed with SIGKILL. */
final class ChildJvm implements AutoCloseable {
  /** Generous: a cold child loads ND4J; the bound only stops a broken test from hanging. */
  private static final long START_BOUND_SECONDS = 300;

  private final Process process;
  private final BufferedReader output;
  private final List<String> seen = new ArrayList<>();

  private ChildJvm(Process process) {
    this.process = process;
    this.output = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8));
  }

  static ChildJvm start(Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "-Xmx512m",
        "--add-modules", "jdk.incubator.vector", main.getName()));
    command.addAll(List.of(args));
    return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  long pid() {
    return process.pid();
  }

  /** Waits (bounded) for a line starting with {@code prefix}; fails with what the child said. */
  void awaitLine(String prefix) throws IOException, InterruptedException {
    CompletableFuture<Boolean> found = CompletableFuture.supplyAsync(() -> {
      try {
        for (String line; (line = output.readLine()) != null; ) {
          synchronized (seen) {
            seen.add(line);
          }
          if (line.startsWith(prefix)) {
            return true;
          }
        }
        return false;
      } catch (IOException e) {
        return false;
      }
    });
    boolean ok;
    try {
      ok = found.get(START_BOUND_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      ok = false;
    }
    if (!ok) {
      synchronized (seen) {
        throw new AssertionError("the child never printed \"" + prefix + "\"; it said: " + seen);
      }
    }
  }

  /** kill -9: destroyForcibly sends SIGKILL on POSIX, so no shutdown hook or finally runs. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(START_BOUND_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }
}
