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
import org.rlhf4j.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j export}: a trained model as a Hugging Face directory. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Write a trained model as a Hugging Face directory: config.json and "
        + "model.safetensors with GPT-2's names, and the tokenizer (vocab.json, merges.txt, "
        + "tokenizer_config.json, special_tokens_map.json) for AutoTokenizer.from_pretrained.",
        "%nA policy loads with transformers' GPT2LMHeadModel.from_pretrained (a PPO value head "
            + "is kept under TRL's v_head.summary names); a reward model with "
            + "GPT2ForSequenceClassification.from_pretrained (score.weight, num_labels = 1, "
            + "as TRL's reward models). The learned BPE and the byte tokenizer are both written "
            + "as GPT-2 byte-level BPE files that give the same token ids. --out must not exist: "
            + "the directory appears whole or not at all."},
    footerHeading = "%nExamples:%n",
    footer = {"  rlhf4j export --model runs/demo/ppo/model --out hf/ppo",
        "  rlhf4j export --model runs/demo/rm/model --out hf/reward-model",
        "  rlhf4j generate --model hf/ppo --prompt \"the movie was\"   # it loads back too"})
final class ExportCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "An rlhf4j checkpoint: a training command's DIR/model.")
  Path model;

  @Option(names = "--out", paramLabel = "HF_DIR", required = true,
      description = "The Hugging Face directory to create; it must not exist yet.")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    ModelSource.requireModelDirectory(model);
    if (!Files.exists(model.resolve("rlhf4j.json"))) {
      throw new UserInputException(model + ": not an rlhf4j checkpoint (no rlhf4j.json); "
          + (Files.exists(model.resolve("config.json")) ? "it already is a Hugging Face "
              + "directory" : "expected a training command's DIR/model"));
    }
    if (Files.exists(out)) {
      throw new UserInputException("--out " + out + ": exists; export creates a new directory "
          + "and never writes into or over one");
    }
    Checkpoint.Contents c = Checkpoint.load(model, DataType.FLOAT);
    Tokenizer tokenizer = Tokenizer.fromDescription(c.tokenizer());
    boolean reward = c.heads().contains(Head.REWARD);
    Path parent = out.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    // written beside its destination and moved there whole: no half-written directory
    Path staging = parent.resolve("." + out.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      HuggingFaceGpt2.export(staging, c.config(), c.heads(), RewardPooling.of(c.state()),
          c.params(), tokenizer);
      Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(model + ": " + e.getMessage());
    } finally {
      if (Files.exists(staging)) {
        Checkpoint.deleteTree(staging);
      }
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println("rlhf4j: exported " + (reward ? "the reward model" : "the policy") + " to " + out
        + ": it loads with transformers' " + (reward ? "GPT2ForSequenceClassification"
            : "GPT2LMHeadModel") + ".from_pretrained and AutoTokenizer.from_pretrained");
    err.flush();
    return 0;
  }
}
