package org.rlhf4j.config;

/** What identifies a run: its name and the seed all randomness derives from. */
public record RunConfig(String name, long seed) {
  public RunConfig {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException(
          "name '" + name + "' must be letters, digits, '.', '_' or '-' (it becomes a directory)");
    }
  }
}
