package org.rlhf4j.cli;

import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;
import picocli.CommandLine.Option;

/** The {@code --kernels} option: the CPU fast path or the portable ND4J reference. */
final class KernelsOption {
  @Option(names = "--kernels", defaultValue = "vector",
      description = "vector (CPU fast path, default) or nd4j (portable reference, also for CUDA).")
  String name;

  Kernels create() {
    return switch (name) {
      case "vector" -> new VectorKernels();
      case "nd4j" -> new Nd4jKernels();
      default -> throw new UserInputException("--kernels: expected vector or nd4j, got " + name);
    };
  }
}
