package org.rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.io.PeftAdapter;
import org.rlhf4j.model.tokenizer.Gpt2Tokenizer;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * A PEFT LoRA adapter as a starting model: merged into the base its adapter_config.json names
 * ({@code base_model_name_or_path}, a local directory resolved as PEFT resolves one: absolute, or
 * relative to the working directory), or into the base given with {@code --init BASE --adapter
 * DIR}. Nothing is downloaded: a Hub name is refused with what to do instead.
 */
final class PeftInit {
  private static final String BASE_KEY = "key \"base_model_name_or_path\": ";

  private PeftInit() {}

  /** The adapter in {@code adapterDir} merged into the base its settings name. */
  static ModelSource.Loaded merge(Path adapterDir, Set<Head> heads) throws IOException {
    return merge(base(adapterDir, PeftAdapter.readSettings(adapterDir)), adapterDir, heads);
  }

  /**
   * The adapter in {@code adapterDir} merged into {@code base} (a checkpoint or Hugging Face
   * directory); the adapter's trained heads replace the base's. The tokenizer is the base's, or
   * the adapter directory's when the base has none.
   */
  static ModelSource.Loaded merge(Path base, Path adapterDir, Set<Head> heads)
      throws IOException {
    requireAdapter(adapterDir);
    if (PeftAdapter.isAdapter(base)) {
      throw new UserInputException("--init " + base + " is an adapter itself; with --adapter, "
          + "--init names the base model the adapter was trained on");
    }
    ModelSource.requireModelDirectory(base, "--init");
    ModelSource.Loaded b = ModelSource.loadModel(base, heads);
    PeftAdapter.Adapter adapter = PeftAdapter.read(adapterDir, b.config(), DataType.FLOAT);
    ParameterStore merged = adapter.mergeInto(b.config(), b.heads(), b.params());
    Set<Head> all = EnumSet.noneOf(Head.class);
    all.addAll(b.heads());
    all.addAll(adapter.heads());
    Optional<Tokenizer> tokenizer = b.tokenizer();
    if (tokenizer.isEmpty() && (Files.exists(adapterDir.resolve("vocab.json"))
        || Files.exists(adapterDir.resolve("tokenizer.json")))) {
      tokenizer = Optional.of(Gpt2Tokenizer.fromHuggingFace(adapterDir));
    }
    return new ModelSource.Loaded(b.config(), all, merged, tokenizer);
  }

  /** {@code dir}, given as --adapter, must hold a PEFT adapter. */
  static void requireAdapter(Path dir) {
    if (!Files.isDirectory(dir) || !PeftAdapter.isAdapter(dir)) {
      throw new UserInputException("--adapter " + dir + ": no " + PeftAdapter.CONFIG
          + " (expected a PEFT LoRA adapter directory, such as `rlhf4j export` writes for a "
          + "model trained with rlhf4j.lora)");
    }
  }

  /** The local model directory {@code settings} name as the adapter's base. */
  static Path base(Path adapterDir, PeftAdapter.Settings settings) {
    Path config = adapterDir.resolve(PeftAdapter.CONFIG);
    Path exported = adapterDir.resolve("base");
    // an export keeps its base beside the adapter; the recorded absolute path breaks on a move
    String instead = ModelSource.isModel(exported) ? "; its export's base is here: --init "
        + exported + " --adapter " + adapterDir : "; give the base with --init BASE --adapter "
        + adapterDir + " (sft, rm, dpo, ppo)";
    String name = settings.baseModel().orElseThrow(() -> new UserInputException(config + ": "
        + BASE_KEY + "missing, so the base model is unknown" + instead));
    Path base;
    try {
      base = Path.of(name);
    } catch (InvalidPathException e) {
      base = null;
    }
    if (base == null || !Files.isDirectory(base)) {
      throw new UserInputException(config + ": " + BASE_KEY + "\"" + name + "\" is not a local "
          + "directory (a relative path is read from the working directory, as PEFT reads it; "
          + "rlhf4j never downloads from the Hugging Face Hub: download a Hub model first)"
          + instead);
    }
    if (!ModelSource.isModel(base) || PeftAdapter.isAdapter(base)) {
      throw new UserInputException(config + ": " + BASE_KEY + "\"" + name + "\" is not a "
          + "model directory (no config.json or rlhf4j.json)" + instead);
    }
    return base;
  }
}
