package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.io.Gpt2ConfigJson;
import org.rlhf4j.model.io.HuggingFaceGpt2;
import org.rlhf4j.model.io.PeftAdapter;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.model.tokenizer.ByteTokenizer;
import org.rlhf4j.model.tokenizer.Gpt2Tokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * Where a command's starting model comes from: a fresh GPT-2 shaped by {@code rlhf4j.model} with
 * the tokenizer {@code rlhf4j.tokenizer} names, an rlhf4j checkpoint, a Hugging Face GPT-2
 * directory, or a PEFT adapter merged into its base ({@link PeftInit}); with {@code rlhf4j.lora}
 * on, plus fresh adapters.
 */
record ModelSource(Gpt gpt, ParameterStore params, Tokenizer tokenizer) {

  /**
   * A model as read from its directory, before it is given the heads and adapters a command
   * trains: adapters found there are already merged.
   */
  record Loaded(ModelConfig config, Set<Head> heads, ParameterStore params,
      Optional<Tokenizer> tokenizer) {}

  /**
   * Loads {@code init} (a checkpoint, a Hugging Face directory or a PEFT adapter directory) or
   * builds a fresh model.
   */
  static ModelSource load(Path init, RlhfConfig config, Set<Head> heads, Kernels kernels)
      throws IOException {
    return load(init, null, config, heads, kernels, List.of());
  }

  /**
   * Like {@link #load(Path, RlhfConfig, Set, Kernels)}; a fresh model with a {@code bpe} tokenizer
   * learns it from {@code corpus}, the texts it is about to be trained on.
   */
  static ModelSource load(Path init, RlhfConfig config, Set<Head> heads, Kernels kernels,
      List<String> corpus) throws IOException {
    return load(init, null, config, heads, kernels, corpus);
  }

  /**
   * Like {@link #load(Path, RlhfConfig, Set, Kernels, List)}, with the PEFT adapter in
   * {@code adapter} (null: none) merged into {@code init}'s model, in place of the base the
   * adapter's own adapter_config.json names.
   */
  static ModelSource load(Path init, Path adapter, RlhfConfig config, Set<Head> heads,
      Kernels kernels, List<String> corpus) throws IOException {
    if (init == null) {
      if (adapter != null) {
        throw new UserInputException("--adapter " + adapter + " needs --init BASE, the model "
            + "the adapter was trained on");
      }
      Tokenizer tokenizer = freshTokenizer(config, corpus);
      ModelConfig m = config.model();
      if (m.vocabSize() < tokenizer.vocabSize()) {
        throw new UserInputException("rlhf4j.model.vocab-size: " + m.vocabSize()
            + " is smaller than the " + tokenizer.name() + " tokenizer's " + tokenizer.vocabSize()
            + " tokens");
      }
      MemoryBudget.check(m, heads, "rlhf4j.model");
      Gpt gpt = new Gpt(m, heads, kernels, pooling(config), config.lora())
          .recomputing(config.runtime().recomputeActivations());
      return new ModelSource(gpt, gpt.initialParameters(config.run().seed(), DataType.FLOAT),
          tokenizer);
    }
    requireModelDirectory(init);
    Loaded loaded = adapter != null ? PeftInit.merge(init, adapter, heads)
        : PeftAdapter.isAdapter(init) ? PeftInit.merge(init, heads) : loadModel(init, heads);
    Tokenizer tokenizer = loaded.tokenizer().orElseThrow(() -> new UserInputException(init
        + ": no tokenizer files (vocab.json + merges.txt or tokenizer.json)"));
    // a model trained with adapters starts the next stage merged; new adapters, if on, start fresh
    Gpt gpt = new Gpt(loaded.config(), heads, kernels, pooling(config), config.lora())
        .recomputing(config.runtime().recomputeActivations());
    return new ModelSource(gpt, withHeads(gpt, loaded.params(), config.run().seed()), tokenizer);
  }

  /**
   * The model in {@code dir}, an rlhf4j checkpoint (its adapters merged) or a Hugging Face GPT-2
   * directory, checked against the memory budget for a model with {@code heads}.
   */
  static Loaded loadModel(Path dir, Set<Head> heads) throws IOException {
    if (Files.exists(dir.resolve("config.json"))) {
      MemoryBudget.check(Gpt2ConfigJson.read(dir.resolve("config.json")), heads, dir.toString());
    }
    if (Files.exists(dir.resolve("rlhf4j.json"))) {
      Checkpoint.Contents c = Checkpoint.load(dir, DataType.FLOAT).merged();
      return new Loaded(c.config(), c.heads(), c.params(),
          Optional.of(Tokenizer.fromDescription(c.tokenizer())));
    }
    HuggingFaceGpt2.Imported hf = HuggingFaceGpt2.load(dir, DataType.FLOAT);
    return new Loaded(hf.config(), hf.heads(), hf.params(), hf.tokenizer());
  }

  /** {@link #requireModelDirectory(Path, String)} for a path no option named. */
  static void requireModelDirectory(Path dir) {
    requireModelDirectory(dir, "");
  }

  /**
   * {@code dir}, given as {@code option}, must be a model directory (an rlhf4j checkpoint has
   * rlhf4j.json, a Hugging Face one config.json, a PEFT adapter adapter_config.json). A run directory, what a trainer's --out names,
   * is the usual mistake: it is refused with the path of its model, or of the models below it.
   */
  static void requireModelDirectory(Path dir, String option) {
    String given = option.isEmpty() ? dir.toString() : option + " " + dir;
    if (!Files.isDirectory(dir)) {
      throw new UserInputException(given + ": no such directory (expected a model: a run's "
          + "DIR/model, an rlhf4j checkpoint or a Hugging Face GPT-2 directory)");
    }
    if (isModel(dir)) {
      return;
    }
    if (isModel(dir.resolve("model"))) {
      throw new UserInputException(given + " is a run directory, not a model; its model is "
          + dir.resolve("model"));
    }
    if (Files.isDirectory(dir.resolve("checkpoints"))) {
      throw new UserInputException(given + " is a run directory without its model: the run "
          + "stopped before its end (--resume finishes it); its checkpoints are in "
          + dir.resolve("checkpoints"));
    }
    List<Path> below = modelsBelow(dir);
    throw new UserInputException(given + ": not a model (no rlhf4j.json, config.json or "
        + PeftAdapter.CONFIG + ")"
        + (below.isEmpty() ? "; expected a run's DIR/model, an rlhf4j checkpoint or a Hugging "
            + "Face GPT-2 or PEFT adapter directory" : "; the models below it: " + below.stream()
            .map(Path::toString).collect(java.util.stream.Collectors.joining(", "))));
  }

  /** Whether {@code dir} holds a model: a checkpoint, a Hugging Face model or a PEFT adapter. */
  static boolean isModel(Path dir) {
    return Files.exists(dir.resolve("rlhf4j.json")) || Files.exists(dir.resolve("config.json"))
        || PeftAdapter.isAdapter(dir);
  }

  /** The models of the runs in {@code dir} (a demo's directory holds sft/model, ppo/model...). */
  private static List<Path> modelsBelow(Path dir) {
    try (var children = Files.list(dir)) {
      return children.map(c -> c.resolve("model")).filter(ModelSource::isModel).sorted()
          .toList();
    } catch (IOException e) {
      return List.of(); // unreadable: the message without the list is still right
    }
  }

  private static Tokenizer freshTokenizer(RlhfConfig config, List<String> corpus) {
    if (!config.tokenizer().learnsBpe()) {
      return new ByteTokenizer();
    }
    if (corpus.isEmpty()) {
      throw new UserInputException("rlhf4j.tokenizer.kind = \"bpe\" learns its merges from the "
          + "SFT texts: train a fresh model with sft (or demo), then start from its checkpoint "
          + "with --init");
    }
    return Gpt2Tokenizer.learn(corpus, config.model().vocabSize());
  }

  /**
   * {@code loaded}'s tensors in {@code gpt}'s layout: shared names are copied, heads the source
   * lacks are freshly initialised, heads the target lacks are dropped.
   */
  static ParameterStore withHeads(Gpt gpt, ParameterStore loaded, long seed) {
    ParameterStore out = gpt.initialParameters(seed, DataType.FLOAT);
    for (var spec : out.layout().specs()) {
      if (loaded.layout().contains(spec.name())) {
        out.get(spec.name()).assign(loaded.get(spec.name()));
      }
    }
    return out;
  }

  /** A reward head being trained pools as {@code rlhf4j.reward.pooling} says. */
  private static RewardPooling pooling(RlhfConfig config) {
    return RewardPooling.parse(config.reward().pooling());
  }

  static Set<Head> none() {
    return EnumSet.noneOf(Head.class);
  }
}
