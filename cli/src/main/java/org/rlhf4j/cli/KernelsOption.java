package org.rlhf4j.cli;

import org.rlhf4j.model.kernels.Kernels;
import picocli.CommandLine.Option;

/** The {@code --kernels} option: the CPU fast path or the portable ND4J reference. */
final class KernelsOption {
  @Option(names = "--kernels", defaultValue = "vector",
      description = "vector (CPU fast path, default) or nd4j (portable reference, also for CUDA).")
  String name;

  Kernels create() {
    try {
      return Kernels.named(name);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--" + e.getMessage());
    }
  }
}
