package org.rlhf4j.learner;

import java.nio.file.Path;

/** A child-JVM main: claims {@code args[0]} as kind {@code args[1]}, says so, and holds it. */
final class HoldRunDirectory {
  private HoldRunDirectory() {}

  public static void main(String[] args) throws Exception {
    try (RunDirectory dir = RunDirectory.claim(Path.of(args[0]), args[1], false)) {
      System.out.println("claimed " + dir.path());
      System.out.flush();
      Thread.sleep(600_000); // until the test kills it; the bound only spares a lost child
    }
  }
}
