package org.rlhf4j.cli;

import org.rlhf4j.model.kernels.Kernels;
import picocli.CommandLine.Option;

/** The {@code --kernels} option: the CPU fast path or the portable ND4J reference. */
final class KernelsOption {
  @Option(names = "--kernels", paramLabel = "NAME", defaultValue = "vector",
      description = "vector (the CPU fast path) or nd4j (the portable reference, also for "
          + "CUDA). Default: ${DEFAULT-VALUE}.")
  String name;

  Kernels create() {
    try {
      return Kernels.named(name);
    } catch (IllegalArgumentException e) {
      throw new UserInputException("--" + e.getMessage());
    }
  }
}
