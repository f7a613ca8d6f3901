package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.model.Output;
import org.rlhf4j.model.TokenBatch;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.model.tokenizer.Tokenizer;

/**
 * {@code rlhf4j generate} on a tiny SFT model trained until it answers {@code "q1 "} with
 * {@code "aN"} and EOS: plain ASCII, so a completion's text gives back its token ids and its
 * log-prob can be recomputed here, by the training forward, independently of the sampler.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GenerateCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private Path dir;
  private Path model;
  private ModelSource loaded;

  @BeforeAll
  void trainTinyModel(@TempDir Path temp) throws IOException {
    dir = temp;
    Path config = dir.resolve("tiny.conf");
    // a high learning rate, so that 100 steps learn the answer's shape: "a", a digit, EOS
    Files.writeString(config, """
        rlhf4j.model { d-model = 16, layers = 1, heads = 2, context-length = 40 }
        rlhf4j.optimizer { learning-rate = 1e-2, warmup-steps = 0 }
        rlhf4j.sft { steps = 100, batch-size = 8 }
        """);
    TinyData.write(dir, 8, "q1 ", "q2 ", "Hi ");
    Rlhf4jCommandTest.Run sft = Rlhf4jCommandTest.run("sft", "--data",
        dir.resolve("sft.jsonl").toString(), "--config", config.toString(), "--out",
        dir.resolve("sft").toString());
    assertEquals(0, sft.exit(), sft.err());
    model = dir.resolve("sft/model");
    loaded = ModelSource.load(model, ConfigLoader.load(Optional.empty()), ModelSource.none(),
        Kernels.named("vector"));
  }

  private Rlhf4jCommandTest.Run generate(String... options) {
    List<String> args = new ArrayList<>(List.of("generate", "--model", model.toString()));
    args.addAll(List.of(options));
    return Rlhf4jCommandTest.run(args.toArray(String[]::new));
  }

  private List<JsonNode> lines(String... options) {
    Rlhf4jCommandTest.Run r = generate(options);
    assertEquals(0, r.exit(), r.err());
    return parse(r.out());
  }

  private static List<JsonNode> parse(String jsonl) {
    return jsonl.lines().map(l -> {
      try {
        return JSON.readTree(l);
      } catch (IOException e) {
        throw new UncheckedIOException(l, e);
      }
    }).toList();
  }

  private String prompts() {
    return dir.resolve("prompts.jsonl").toString();
  }

  @Test
  void aPromptsFileGivesSamplesLinesPerPromptInOrderWithTheirFields() {
    List<JsonNode> lines = lines("--prompts", prompts(), "--samples", "2", "--max-new-tokens",
        "8");
    List<String> expected = List.of("q1 ", "q1 ", "q2 ", "q2 ", "Hi ", "Hi ");
    assertEquals(expected.size(), lines.size());
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = lines.get(i);
      List<String> keys = new ArrayList<>();
      line.fieldNames().forEachRemaining(keys::add);
      assertEquals(List.of("prompt", "completion", "logprob", "tokens", "finish_reason"), keys);
      assertEquals(expected.get(i), line.get("prompt").asText());
      double logprob = line.get("logprob").asDouble();
      assertTrue(Double.isFinite(logprob) && logprob <= 0, line.toString());
      int tokens = line.get("tokens").asInt();
      String finish = line.get("finish_reason").asText();
      assertTrue(finish.equals("stop") && tokens >= 1 && tokens <= 8
          || finish.equals("length") && tokens == 8, line.toString());
    }
    assertTrue(lines.stream().anyMatch(l -> l.get("finish_reason").asText().equals("stop")),
        "the trained model ends its answers with EOS: " + lines);
  }

  @Test
  void theSameSeedGivesTheSameLinesAndAnotherSeedOthers() {
    String[] options = {"--prompts", prompts(), "--samples", "3", "--max-new-tokens", "8",
        "--seed", "7"};
    Rlhf4jCommandTest.Run first = generate(options);
    Rlhf4jCommandTest.Run second = generate(options);
    assertEquals(0, first.exit(), first.err());
    assertEquals(first.out(), second.out());
    assertEquals(first.out(), generate("--prompts", prompts(), "--samples", "3",
        "--max-new-tokens", "8", "--set", "run.seed=7").out(), "--seed is rlhf4j.run.seed");
    options[options.length - 1] = "8";
    assertNotEquals(first.out(), generate(options).out());
  }

  @Test
  void aCompletionCutByMaxNewTokensEndsWithLength() {
    List<JsonNode> lines = lines("--prompt", "q1 ", "--prompt", "Hi ", "--max-new-tokens", "2");
    assertEquals(2, lines.size());
    assertEquals("Hi ", lines.get(1).get("prompt").asText());
    for (JsonNode line : lines) {
      assertEquals("length", line.get("finish_reason").asText(), line.toString());
      assertEquals(2, line.get("tokens").asInt());
    }
  }

  @Test
  void outWritesTheSameLinesToAFileAndSaysSoOnStdout() throws IOException {
    Path file = dir.resolve("out/completions.jsonl");
    String[] options = {"--prompts", prompts(), "--samples", "2", "--max-new-tokens", "8"};
    Rlhf4jCommandTest.Run toStdout = generate(options);
    List<String> withOut = new ArrayList<>(List.of(options));
    withOut.addAll(List.of("--out", file.toString()));
    Rlhf4jCommandTest.Run toFile = generate(withOut.toArray(String[]::new));
    assertEquals(0, toFile.exit(), toFile.err());
    assertEquals(toStdout.out(), Files.readString(file));
    JsonNode summary = JSON.readTree(toFile.out());
    assertEquals(6, summary.get("completions").asInt());
    assertEquals(file.toString(), summary.get("file").asText());
  }

  @Test
  void greedyTakesTheMostLikelyTokenAtEveryStepAndScoresItAtTemperatureOne() {
    List<JsonNode> greedy = lines("--prompts", prompts(), "--greedy", "--max-new-tokens", "8");
    assertEquals(greedy, lines("--prompts", prompts(), "--greedy", "--max-new-tokens", "8",
        "--seed", "99"), "greedy decoding draws no random numbers");
    // sampling from the single most likely token at T 1 is greedy decoding, log-prob included
    assertEquals(greedy, lines("--prompts", prompts(), "--top-k", "1", "--max-new-tokens", "8",
        "--seed", "5"));
    for (JsonNode line : greedy) {
      Scored s = score(line, 1.0);
      for (int t = 0; t < s.logprobs().length; t++) {
        assertTrue(s.logprobs()[t] >= s.best()[t] - 1e-5, "token " + t + " of " + line
            + " is not the most likely: " + s.logprobs()[t] + " < " + s.best()[t]);
      }
      assertEquals(s.sum(), line.get("logprob").asDouble(), 1e-4, line.toString());
    }
  }

  @Test
  void theLogprobIsTheTemperedModelsLogProbOfTheCompletion() {
    List<JsonNode> lines = lines("--prompts", prompts(), "--samples", "3", "--temperature",
        "0.7", "--top-k", "5", "--max-new-tokens", "8");
    for (JsonNode line : lines) {
      assertEquals(score(line, 0.7).sum(), line.get("logprob").asDouble(), 1e-4,
          line.toString());
      assertNotEquals(score(line, 1.0).sum(), line.get("logprob").asDouble(), 1e-3,
          "scored at the sampling temperature, not at 1: " + line);
    }
  }

  /**
   * A completion's per-token log-probs under {@code log softmax(logits / t)} and the largest
   * log-prob at each step, computed here from the training forward's logits.
   */
  private record Scored(double[] logprobs, double[] best) {
    double sum() {
      double s = 0;
      for (double l : logprobs) {
        s += l;
      }
      return s;
    }
  }

  private Scored score(JsonNode line, double t) {
    Tokenizer tok = loaded.tokenizer();
    String completion = line.get("completion").asText();
    int[] text = tok.encode(completion);
    assertEquals(completion, tok.decode(text, 0, text.length,
        Tokenizer.Specials.SKIP), "ids round-trip: " + line);
    boolean stop = line.get("finish_reason").asText().equals("stop");
    int[] response = Arrays.copyOf(text, text.length + (stop ? 1 : 0));
    if (stop) {
      response[text.length] = tok.eosId();
    }
    assertEquals(response.length, line.get("tokens").asInt(), line.toString());
    int[] prompt = Tokenized.prompt(line.get("prompt").asText(), tok);
    int[] all = Arrays.copyOf(prompt, prompt.length + response.length);
    System.arraycopy(response, 0, all, prompt.length, response.length);
    INDArray logits = loaded.gpt().forward(loaded.params(),
        TokenBatch.rightPadded(List.of(all), tok.padId()), EnumSet.of(Output.LOGITS))
        .logits(); // (T, V)
    double[] logprobs = new double[response.length];
    double[] best = new double[response.length];
    for (int k = 0; k < response.length; k++) {
      double[] z = logits.getRow(prompt.length - 1 + k).toDoubleVector(); // predicts token k
      double max = Double.NEGATIVE_INFINITY;
      for (int v = 0; v < z.length; v++) {
        z[v] /= t;
        max = Math.max(max, z[v]);
      }
      double sum = 0;
      for (double v : z) {
        sum += Math.exp(v - max);
      }
      double logZ = max + Math.log(sum);
      logprobs[k] = z[response[k]] - logZ;
      best[k] = max - logZ;
    }
    return new Scored(logprobs, best);
  }

  private void refused(String expected, String... options) {
    Rlhf4jCommandTest.Run r = generate(options);
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains(expected), r.err());
    assertEquals("", r.out());
  }

  @Test
  void noPromptSourceIsBadInput() {
    refused("expected --prompt TEXT (repeatable) or --prompts FILE");
  }

  @Test
  void bothPromptSourcesAreBadInput() {
    refused("--prompt and --prompts: give one of them, not both", "--prompt", "q1 ",
        "--prompts", prompts());
  }

  @Test
  void aBadLineOfThePromptsFileIsNamedByFileAndLine() throws IOException {
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"prompt\": \"q1 \"}\n\n{\"prompt\": 3}\n");
    refused(bad + ":3: field \"prompt\": expected a string", "--prompts", bad.toString());
  }

  @Test
  void aRunDirectoryIsRefusedWithThePathOfItsModel() {
    Path run = dir.resolve("sft");
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("generate", "--model", run.toString(),
        "--prompt", "q1 ");
    assertEquals(2, r.exit(), r.err());
    assertTrue(r.err().contains("--model " + run + " is a run directory, not a model; its model "
        + "is " + model), r.err());
  }

  @Test
  void aTemperatureOutOfRangeIsBadInput() {
    refused("--temperature 0.0: expected a number > 0", "--prompt", "q1 ", "--temperature",
        "0");
    refused("--temperature -1.0: expected a number > 0", "--prompt", "q1 ", "--temperature",
        "-1");
  }

  @Test
  void otherSamplingOptionsOutOfRangeAreBadInput() {
    refused("--top-p 1.5: expected a number in (0, 1]", "--prompt", "q1 ", "--top-p", "1.5");
    refused("--top-k -1: expected 0", "--prompt", "q1 ", "--top-k", "-1");
    refused("--samples 0: expected at least 1", "--prompt", "q1 ", "--samples", "0");
    refused("--max-new-tokens 0: expected at least 1", "--prompt", "q1 ", "--max-new-tokens",
        "0");
  }

  @Test
  void greedyWithSamplingOptionsOrSeveralSamplesIsBadInput() {
    refused("--temperature applies to sampling only", "--prompt", "q1 ", "--greedy",
        "--temperature", "0.7");
    refused("--greedy --samples 2: greedy decoding gives one completion per prompt",
        "--prompt", "q1 ", "--greedy", "--samples", "2");
  }

  @Test
  void aPromptThatLeavesNoRoomInTheContextIsNamed() {
    // the tiny model's context is 40 tokens
    refused("--prompt 2 of 2: the prompt is 3 tokens; with --max-new-tokens = 38", "--prompt",
        "q1", "--prompt", "Hi ", "--max-new-tokens", "38");
  }

  @Test
  void helpShowsTheDefaultsAndExamples() {
    Rlhf4jCommandTest.Run r = Rlhf4jCommandTest.run("generate", "--help");
    assertEquals(0, r.exit());
    assertTrue(r.out().contains("Default: 64.") && r.out().contains("Default: rlhf4j.run.seed, "
        + "1234.") && r.out().contains("Examples:"), r.out());
    assertFalse(r.out().contains("${DEFAULT-VALUE}"), r.out());
  }
}
