package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.kernels.VectorKernels;

/** {@code rlhf4j.runtime.recompute-activations} reaches the models a stage trains. */
class RecomputeSettingTest {
  @Test
  void theSettingDecidesWhetherATrainedModelRecomputes() throws IOException {
    RlhfConfig defaults = ConfigLoader.defaults();
    RlhfConfig on = ConfigLoader.withOverrides(defaults,
        Map.of("rlhf4j.runtime.recompute-activations", true), "test");
    List<String> corpus = List.of("a small corpus for the byte tokenizer");
    assertFalse(ModelSource.load(null, null, defaults, EnumSet.noneOf(Head.class),
        new VectorKernels(), corpus).gpt().recomputes());
    assertTrue(ModelSource.load(null, null, on, EnumSet.of(Head.VALUE), new VectorKernels(),
        corpus).gpt().recomputes());
  }
}
