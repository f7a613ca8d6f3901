package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.learner.CheckpointDirectory;
import org.rlhf4j.model.io.Gpt2ConfigJson;

/**
 * Checks that {@code --resume} continues a run of the same model shape: otherwise the saved
 * tensors would not fit the model and the failure would be a shape error deep in ND4J.
 */
final class ResumeShape {
  private ResumeShape() {}

  /** The newest checkpoint in {@code runDir}, if any, must have been trained on {@code model}'s shape. */
  static void check(Path runDir, ModelConfig model) throws IOException {
    Optional<Path> latest = new CheckpointDirectory(runDir, Integer.MAX_VALUE).latest();
    if (latest.isEmpty() || !Files.exists(latest.get().resolve("config.json"))) {
      return;
    }
    ModelConfig saved = Gpt2ConfigJson.read(latest.get().resolve("config.json"));
    String differs = firstDifference(saved, model);
    if (differs != null) {
      throw new UserInputException("--resume: " + latest.get() + " holds a model with " + differs
          + "; resume with the run's own configuration (" + runDir.resolve("config.conf")
          + " and --init) or choose another --out");
    }
  }

  /** The first key whose values differ, as "KEY = SAVED, but this run's model has NOW". */
  static String firstDifference(ModelConfig saved, ModelConfig now) {
    String[] keys = {"vocab-size", "context-length", "d-model", "layers", "heads",
        "layer-norm-epsilon"};
    Object[] a = {saved.vocabSize(), saved.contextLength(), saved.dModel(), saved.layers(),
        saved.heads(), saved.layerNormEpsilon()};
    Object[] b = {now.vocabSize(), now.contextLength(), now.dModel(), now.layers(), now.heads(),
        now.layerNormEpsilon()};
    for (int i = 0; i < keys.length; i++) {
      if (!a[i].equals(b[i])) {
        return "rlhf4j.model." + keys[i] + " = " + a[i] + ", but this run's model has " + b[i];
      }
    }
    return null;
  }
}
