package org.rlhf4j.model.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file that does not hold what its format promises: truncated, corrupted or malformed.
 * The message names the file, the tensor when one is to blame, and what was expected versus found.
 */
public final class CheckpointFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String tensor;

  /** A problem with the file as a whole (its length, its header JSON, its checksum). */
  public CheckpointFormatException(Path file, String problem) {
    this(file, null, problem, null);
  }

  /** A problem with one tensor's entry or data. */
  public CheckpointFormatException(Path file, String tensor, String problem) {
    this(file, tensor, problem, null);
  }

  CheckpointFormatException(Path file, String tensor, String problem, Throwable cause) {
    super(displayName(file) + ": " + (tensor == null ? "" : "tensor " + tensor + ": ") + problem, cause);
    this.file = file;
    this.tensor = tensor;
  }

  /** The file that was read. */
  public Path file() {
    return file;
  }

  /** The tensor at fault, or null when the problem is not tied to one tensor. */
  public String tensor() {
    return tensor;
  }

  /**
   * The path as the caller gave it, not just the file name: one command may read several models
   * (--policy, --baseline, --reward-model), each with a {@code model.safetensors}.
   */
  private static String displayName(Path file) {
    return file.toString();
  }
}
