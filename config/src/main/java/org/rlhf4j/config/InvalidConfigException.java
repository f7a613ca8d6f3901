package org.rlhf4j.config;

/** A configuration that cannot be used; the message names the file and line, the key and what is allowed. */
public final class InvalidConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String key;

  public InvalidConfigException(String where, String key, String problem) {
    super((where.isEmpty() ? "" : where + ": ") + key + ": " + problem);
    this.key = key;
  }

  /**
   * A configuration that cannot be read at all (a file, a {@code --set} without {@code =}):
   * {@code "where: problem"}, no key.
   */
  public static InvalidConfigException unreadable(String where, String problem) {
    return new InvalidConfigException(where + ": " + problem);
  }

  private InvalidConfigException(String message) {
    super(message);
    this.key = "";
  }

  /** The full key path, such as {@code rlhf4j.model.layers}; empty for a file that cannot be read. */
  public String key() {
    return key;
  }
}
