package org.rlhf4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.RewardPooling;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.io.HuggingFaceGpt2;
import org.rlhf4j.model.io.PeftAdapter;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.model.tokenizer.TokenizerExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code rlhf4j export}: a trained model as a Hugging Face directory, or a LoRA model as a PEFT
 * adapter beside its base.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Write a trained model as a Hugging Face directory: config.json and "
        + "model.safetensors with GPT-2's names, and the tokenizer (vocab.json, merges.txt, "
        + "tokenizer_config.json, special_tokens_map.json) for AutoTokenizer.from_pretrained.",
        "%nA policy loads with transformers' GPT2LMHeadModel.from_pretrained (a PPO value head "
            + "is kept under TRL's v_head.summary names); a reward model with "
            + "GPT2ForSequenceClassification.from_pretrained (score.weight, num_labels = 1, "
            + "as TRL's reward models). The learned BPE and the byte tokenizer are both written "
            + "as GPT-2 byte-level BPE files that give the same token ids. --out must not exist: "
            + "the directory appears whole or not at all.",
        "%nA model trained with rlhf4j.lora exports in PEFT's layout: adapter_config.json and "
            + "adapter_model.safetensors (base_model.model.transformer.h.N.attn.c_attn.lora_A"
            + ".weight ...; a reward model's score head as PEFT's modules_to_save copy, a value "
            + "head in model.safetensors under TRL's names) and the tokenizer in HF_DIR, and "
            + "the base model as HF_DIR/base, which base_model_name_or_path names (as an "
            + "absolute path): AutoPeftModelForCausalLM.from_pretrained(HF_DIR) or "
            + "PeftModel.from_pretrained(GPT2LMHeadModel.from_pretrained(HF_DIR/base), HF_DIR) "
            + "load it, and so does --init HF_DIR. With --merge it exports the adapters folded "
            + "into the weights, as a plain Hugging Face model."},
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j export --model runs/demo/ppo/model --out hf/ppo",
        "  rlhf4j export --model runs/lora/sft/model --out hf/sft-lora --merge",
        "  rlhf4j generate --model hf/ppo --prompt \"the movie was\"   # it loads back too"})
final class ExportCommand implements Callable<Integer> {
  /** Where a LoRA export puts the base model, inside --out. */
  private static final String BASE = "base";

  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "An rlhf4j checkpoint: a training command's DIR/model.")
  Path model;

  @Option(names = "--out", paramLabel = "HF_DIR", required = true,
      description = "The Hugging Face directory to create; it must not exist yet.")
  Path out;

  @Option(names = "--merge",
      description = "For a model trained with LoRA adapters: write the adapters merged into "
          + "the weights (W + alpha/r * (BA)^T), a plain Hugging Face model, instead of a PEFT "
          + "adapter and its base. A model without adapters exports the same either way.")
  boolean merge;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    ModelSource.requireModelDirectory(model);
    if (!Files.exists(model.resolve("rlhf4j.json"))) {
      throw new UserInputException(model + ": not an rlhf4j checkpoint (no rlhf4j.json); "
          + (Files.exists(model.resolve("config.json")) ? "it already is a Hugging Face "
              + "directory" : PeftAdapter.isAdapter(model) ? "it already is a PEFT adapter "
                  + "directory" : "expected a training command's DIR/model"));
    }
    if (Files.exists(out)) {
      throw new UserInputException("--out " + out + ": exists; export creates a new directory "
          + "and never writes into or over one");
    }
    Checkpoint.Contents c = Checkpoint.load(model, DataType.FLOAT);
    Tokenizer tokenizer = Tokenizer.fromDescription(c.tokenizer());
    boolean reward = c.heads().contains(Head.REWARD);
    boolean adapter = c.adapters().isPresent() && !merge;
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    // written beside its destination and moved there whole: no half-written directory
    Path staging = parent.resolve("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      if (adapter) {
        writeAdapter(staging, c, tokenizer);
      } else {
        Checkpoint.Contents m = c.merged();
        HuggingFaceGpt2.export(staging, m.config(), m.heads(), RewardPooling.of(m.state()),
            m.params(), tokenizer);
      }
      Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(model + ": " + e.getMessage());
    } finally {
      if (Files.exists(staging)) {
        Checkpoint.deleteTree(staging);
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    String kind = reward ? "the reward model" : "the policy";
    String loader = reward ? "GPT2ForSequenceClassification" : "GPT2LMHeadModel";
    if (adapter) {
      err.println("rlhf4j: exported " + kind + "'s LoRA adapter to " + out + " and its base to "
          + out.resolve(BASE) + ": it loads with peft's " + (reward
              ? "AutoPeftModelForSequenceClassification" : "AutoPeftModelForCausalLM")
          + ".from_pretrained, or PeftModel.from_pretrained(" + loader + ".from_pretrained("
          + out.resolve(BASE) + "), " + out + ")");
    } else {
      err.println("rlhf4j: exported " + kind + (c.adapters().isPresent() ? ", adapters merged,"
          : "") + " to " + out + ": it loads with transformers' " + loader
          + ".from_pretrained and AutoTokenizer.from_pretrained");
    }
    err.flush();
    return 0;
  }

  /**
   * The adapter in PEFT's layout and the tokenizer in {@code dir}, the base in {@code dir/base};
   * the adapter names the base by the absolute path it will have once moved to --out, which
   * AutoPeftModel reads from any working directory.
   */
  private void writeAdapter(Path dir, Checkpoint.Contents c, Tokenizer tokenizer)
      throws IOException {
    Checkpoint.Contents base = c.withoutAdapters();
    HuggingFaceGpt2.export(dir.resolve(BASE), base.config(), base.heads(),
        RewardPooling.of(base.state()), base.params(), tokenizer);
    PeftAdapter.write(dir, c.config(), c.heads(), c.lora(), c.params(),
        out.toAbsolutePath().normalize().resolve(BASE).toString());
    TokenizerExport.write(tokenizer, c.config().contextLength(), dir);
  }
}
