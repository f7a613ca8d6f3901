package org.rlhf4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import org.rlhf4j.config.RlhfConfig;
import org.rlhf4j.learner.ExampleFit;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.model.TensorThreads;
import org.rlhf4j.model.io.AtomicFiles;
import org.rlhf4j.model.tokenizer.Tokenizer;
import org.rlhf4j.rollout.GenerationEngine;
import org.rlhf4j.rollout.PolicySnapshot;
import org.rlhf4j.rollout.Response;
import org.rlhf4j.rollout.SamplingSettings;
import org.rlhf4j.tasks.data.JsonlReader;
import org.rlhf4j.tasks.data.PromptExample;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code rlhf4j generate}: completions sampled from a model, as JSONL with their log-probs. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = {"Sample completions of prompts from a trained model (a training command's "
        + "model/ directory or a Hugging Face GPT-2 directory) and write one JSON line per "
        + "completion: {\"prompt\", \"completion\", \"logprob\", \"tokens\", \"finish_reason\"}.",
        "%nlogprob is the sum over the completion's tokens (its EOS included) of "
            + "log softmax(logits / temperature), the tempered model's log-probability, as TRL "
            + "and the PPO learner compute it: top-k and top-p narrow where tokens are drawn "
            + "from but do not renormalise it; --greedy scores at temperature 1. tokens counts "
            + "the generated tokens, the EOS included; finish_reason is \"stop\" (the "
            + "tokenizer's EOS, not part of the completion's text) or \"length\" "
            + "(--max-new-tokens reached).",
        "%nLines are prompt-major (a prompt's samples together, in input order). The same "
            + "model, prompts, options and --seed give the same lines."},
    footerHeading = "%nExamples:%n",
    footer = {
        "  rlhf4j generate --model runs/demo/ppo/model --prompt \"the movie was\" \\",
        "      --samples 3 --seed 7",
        "  rlhf4j generate --model runs/demo/sft/model --prompts prompts.jsonl \\",
        "      --temperature 0.7 --top-k 50 --out completions.jsonl",
        "  rlhf4j generate --model gpt2/ --prompt \"Hello, I'm a language model,\" \\",
        "      --greedy --max-new-tokens 20"})
final class GenerateCommand implements Callable<Integer> {
  /** Rows sampled at once: bounds the KV cache's memory, as an evaluation's batches do. */
  static final int BATCH_ROWS = 64;

  @Option(names = "--model", paramLabel = "DIR", required = true,
      description = "The model: an rlhf4j checkpoint (a training command's DIR/model), a "
          + "Hugging Face GPT-2 directory (config.json, model.safetensors, tokenizer files) or "
          + "a PEFT LoRA adapter directory (merged into the base its adapter_config.json names).")
  Path model;

  @Option(names = "--prompt", paramLabel = "TEXT",
      description = "A prompt; repeat for more. Exclusive with --prompts.")
  List<String> prompts;

  @Option(names = "--prompts", paramLabel = "FILE",
      description = "Prompts as TRL's {\"prompt\"} JSONL, one per line (other TRL formats' "
          + "response fields are ignored). Exclusive with --prompt.")
  Path promptsFile;

  @Option(names = "--samples", paramLabel = "N", defaultValue = "1",
      description = "Completions per prompt. Default: ${DEFAULT-VALUE}.")
  int samples;

  @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "64",
      description = "At most this many new tokens per completion, the EOS included; prompt + "
          + "completion must fit the model's context. Default: ${DEFAULT-VALUE}.")
  int maxNewTokens;

  @Option(names = "--temperature", paramLabel = "T", defaultValue = "1.0",
      description = "Sampling temperature, > 0. Default: ${DEFAULT-VALUE}.")
  double temperature;

  @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
      description = "Sample from the K most likely tokens only; 0 = all (Hugging Face's "
          + "generate uses 50). Default: ${DEFAULT-VALUE}.")
  int topK;

  @Option(names = "--top-p", paramLabel = "P", defaultValue = "1.0",
      description = "Sample from the smallest set of most likely tokens holding probability P, "
          + "in (0, 1]; 1 = all. Default: ${DEFAULT-VALUE}.")
  double topP;

  @Option(names = "--greedy",
      description = "Take the most likely token at each step instead of sampling (one "
          + "completion per prompt; no --temperature, --top-k or --top-p).")
  boolean greedy;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write the JSONL to FILE (replaced atomically when done, as eval and collect "
          + "replace theirs). Default: stdout.")
  Path out;

  @Mixin SeededConfigOption config;
  @Mixin KernelsOption kernels;
  @Spec CommandSpec spec;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The prompts' texts and how a message names prompt i. */
  private record Prompts(List<String> texts, IntFunction<String> where) {}

  @Override
  public Integer call() throws Exception {
    checkOptions();
    Prompts p = readPrompts();
    if (out != null) {
      OutputPaths.requireWritableFile(out, "--out");
    }
    RlhfConfig c = config.load();
    ModelSource.requireModelDirectory(model, "--model");
    TensorThreads.bindCurrentThread(c.runtime().threadsPerModel());
    ModelSource m = ModelSource.load(model, c, ModelSource.none(), kernels.create());
    List<int[]> ids = p.texts().stream().map(t -> Tokenized.prompt(t, m.tokenizer())).toList();
    ExampleFit.checkPromptsFit(ids, "--max-new-tokens", maxNewTokens,
        m.gpt().config().contextLength(), p.where());
    // greedy takes the argmax whatever the temperature; at 1 its log-prob is the model's own
    SamplingSettings s = new SamplingSettings(greedy ? 1.0 : temperature, topK, topP, greedy,
        maxNewTokens, new int[] {m.tokenizer().eosId()});
    PolicySnapshot policy = new PolicySnapshot(m.gpt(), m.params(), 0);
    PrintWriter stdout = spec.commandLine().getOut();
    int rows = p.texts().size() * samples;
    if (out == null) {
      generate(policy, m.tokenizer(), p.texts(), ids, s, c.run().seed(), stdout,
          progress(false, rows));
      return 0;
    }
    int[] written = new int[1];
    Files.createDirectories(out.toAbsolutePath().getParent());
    AtomicFiles.writeAtomically(out, temp -> {
      try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
        written[0] = generate(policy, m.tokenizer(), p.texts(), ids, s, c.run().seed(), w,
            progress(true, rows));
      }
    });
    stdout.println(JSON.writeValueAsString(JSON.createObjectNode().put("file", out.toString())
        .put("prompts", p.texts().size()).put("completions", written[0])));
    stdout.flush();
    return 0;
  }

  /** Every range a model-independent option must lie in, before anything is loaded. */
  private void checkOptions() {
    if (samples < 1) {
      throw new UserInputException("--samples " + samples
          + ": expected at least 1 completion per prompt");
    }
    if (maxNewTokens < 1) {
      throw new UserInputException("--max-new-tokens " + maxNewTokens + ": expected at least 1");
    }
    if (!(temperature > 0) || Double.isInfinite(temperature)) {
      throw new UserInputException("--temperature " + temperature
          + ": expected a number > 0 (for the most likely token use --greedy)");
    }
    if (topK < 0) {
      throw new UserInputException("--top-k " + topK + ": expected 0 (all tokens) or more");
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new UserInputException("--top-p " + topP
          + ": expected a number in (0, 1] (1 = all tokens)");
    }
    if (greedy && samples > 1) {
      throw new UserInputException("--greedy --samples " + samples + ": greedy decoding gives "
          + "one completion per prompt; drop --greedy to sample " + samples);
    }
    var parsed = spec.commandLine().getParseResult();
    for (String sampling : List.of("--temperature", "--top-k", "--top-p")) {
      if (greedy && parsed.hasMatchedOption(sampling)) {
        throw new UserInputException("--greedy takes the most likely token; " + sampling
            + " applies to sampling only: drop one of them");
      }
    }
  }

  private Prompts readPrompts() {
    if (prompts == null && promptsFile == null) {
      throw new UserInputException("expected --prompt TEXT (repeatable) or --prompts FILE "
          + "(TRL's {\"prompt\"} JSONL)");
    }
    if (prompts != null && promptsFile != null) {
      throw new UserInputException("--prompt and --prompts: give one of them, not both");
    }
    if (prompts != null) {
      return new Prompts(List.copyOf(prompts), i -> "--prompt " + (i + 1) + " of "
          + prompts.size());
    }
    var source = TrainingData.Source.file(promptsFile, JsonlReader.prompts());
    return new Prompts(source.values().stream().map(PromptExample::prompt).toList(), source.where());
  }

  /**
   * Samples {@code samples} completions of each prompt in batches of {@link #BATCH_ROWS} rows
   * from one engine seeded with {@code seed} (--seed), writing each batch's lines as it ends;
   * stops early when {@code sink} is a closed stdout (a reader such as {@code head} has had
   * enough). Returns the lines written.
   */
  private int generate(PolicySnapshot policy, Tokenizer tokenizer, List<String> texts,
      List<int[]> ids, SamplingSettings s, long seed, Writer sink, ProgressListener progress)
      throws IOException {
    int total = texts.size() * samples;
    GenerationEngine engine = new GenerationEngine(seed, tokenizer.padId());
    double logprobs = 0;
    for (int from = 0; from < total; from += BATCH_ROWS) {
      int to = Math.min(total, from + BATCH_ROWS);
      List<int[]> rows = new ArrayList<>(to - from);
      for (int r = from; r < to; r++) {
        rows.add(ids.get(r / samples));
      }
      List<Response> responses = engine.generate(policy, rows, s);
      List<Completion> batch = new ArrayList<>(responses.size());
      for (int i = 0; i < responses.size(); i++) {
        batch.add(Completion.of(texts.get((from + i) / samples), responses.get(i), tokenizer));
        sink.write(batch.get(i).toJson());
        sink.write('\n');
      }
      sink.flush();
      // picocli's writer wraps System.out, a PrintStream that keeps a closed pipe to itself
      if (sink instanceof PrintWriter w && (w.checkError() || System.out.checkError())) {
        return to;
      }
      // one step per completion, so that the bar's rate and ETA count completions
      for (int i = 0; i < batch.size(); i++) {
        logprobs += batch.get(i).logprob();
        progress.onStep(from + i + 1, total, "logprob", logprobs / (from + i + 1));
      }
    }
    return total;
  }

  /**
   * A progress bar on stderr for more than one batch of {@code rows}, unless the lines go to a
   * terminal, where the bar would be drawn over them.
   */
  private ProgressListener progress(boolean toFile, int rows) {
    if (rows <= BATCH_ROWS || (!toFile && System.console() != null)) {
      return ProgressListener.none();
    }
    return ProgressBar.on(spec.commandLine().getErr(), "generate");
  }
}
