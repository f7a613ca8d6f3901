package org.rlhf4j.cli;

import java.util.Locale;
import java.util.Set;
import org.bytedeco.javacpp.Pointer;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;

/**
 * Refuses a model that cannot fit before any of it is allocated: ND4J's off-heap allocation fails
 * with {@code std::bad_alloc} or an OutOfMemoryError deep inside a run, and says nothing of why.
 */
final class MemoryBudget {
  /**
   * Float copies of the parameters a training command holds: the starting weights, the trained
   * ones, their gradients and AdamW's two moments (DPO's frozen reference takes the first's place).
   */
  static final int TRAINING_COPIES = 5;

  private static final long BYTES_PER_FLOAT = 4;

  private MemoryBudget() {}

  /** The bytes a model shaped by {@code config} needs for training, before activations. */
  static long trainingBytes(ModelConfig config, Set<Head> heads) {
    return GptLayout.of(config, heads).totalSize() * BYTES_PER_FLOAT * TRAINING_COPIES;
  }

  /** Bytes ND4J may still allocate: JavaCPP's limit less what it holds, and free physical memory. */
  static long available() {
    long limit = Pointer.maxBytes() > 0 ? Pointer.maxBytes() - Pointer.totalBytes()
        : Long.MAX_VALUE;
    long physical = Pointer.availablePhysicalBytes();
    return Math.max(0, physical > 0 ? Math.min(limit, physical) : limit);
  }

  /**
   * Checks that a model shaped by {@code config} fits in {@code available} bytes.
   *
   * @param what names the model's source for the message ({@code rlhf4j.model}, a checkpoint)
   */
  static void check(ModelConfig config, Set<Head> heads, String what, long available) {
    long params = GptLayout.of(config, heads).totalSize();
    long needed = trainingBytes(config, heads);
    if (needed > available) {
      throw new UserInputException(String.format(Locale.ROOT, "%s: a model of %,d parameters "
          + "needs about %s to train (%d float copies: weights, gradients, AdamW moments), but "
          + "only %s is available to ND4J; choose a smaller model, or raise -Xmx or "
          + "-Dorg.bytedeco.javacpp.maxbytes", what, params, gigabytes(needed), TRAINING_COPIES,
          gigabytes(available)));
    }
  }

  static void check(ModelConfig config, Set<Head> heads, String what) {
    check(config, heads, what, available());
  }

  private static String gigabytes(long bytes) {
    return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
  }
}
