package org.rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rlhf4j.config.ConfigLoader;
import org.rlhf4j.config.RlhfConfig;

/**
 * The CI smoke test of the main job: {@code rlhf4j demo --quick}, stopped after the reward model
 * as if killed there and finished with {@code --resume}; PPO and DPO must both beat the SFT model
 * on the gold labeler without writing worse than it, and the report must exist.
 */
class DemoCommandTest {
  @TempDir Path dir;

  @Test
  void quickDemoResumesAfterAStopAndPpoAndDpoBeatTheSftModel() throws IOException {
    Path out = dir.resolve("demo");
    Rlhf4jCommandTest.Run first = Rlhf4jCommandTest.run("demo", "--quick", "--out",
        out.toString(), "--stop-after", "rm");
    assertEquals(0, first.exit(), first.err());
    assertTrue(Files.exists(out.resolve("rm/model/model.safetensors")));
    assertFalse(Files.exists(out.resolve("ppo")), "stopped before PPO");
    List<String> sftMetrics = Files.readAllLines(out.resolve("sft/metrics.jsonl"));

    Rlhf4jCommandTest.Run again = Rlhf4jCommandTest.run("demo", "--quick", "--out",
        out.toString());
    assertEquals(2, again.exit(), "an existing run needs --resume: " + again.err());

    Rlhf4jCommandTest.Run resumed = Rlhf4jCommandTest.run("demo", "--quick", "--out",
        out.toString(), "--resume");
    assertEquals(0, resumed.exit(), resumed.err());
    assertEquals(sftMetrics, Files.readAllLines(out.resolve("sft/metrics.jsonl")),
        "the finished SFT stage was not trained again");
    for (String bar : List.of("ppo ", "dpo ", "100%")) {
      assertTrue(resumed.err().contains(bar), "no progress bar " + bar + " in " + resumed.err());
    }

    JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
    for (String key : List.of("sft_gold_reward", "ppo_gold_reward", "dpo_gold_reward",
        "ppo_win_rate", "ppo_win_rate_ci_low", "ppo_win_rate_ci_high", "dpo_win_rate",
        "dpo_win_rate_ci_low", "dpo_win_rate_ci_high", "rm_accuracy", "ppo_kl", "dpo_kl")) {
      assertTrue(summary.path(key).isNumber(), key + " missing from " + summary);
    }
    // text quality per model (issue 14); real words is null only when a model wrote no word
    for (String model : List.of("sft", "ppo", "dpo")) {
      for (String key : List.of("_invalid_text", "_distinct2", "_sft_nll")) {
        assertTrue(summary.path(model + key).isNumber(), model + key + " missing: " + summary);
      }
      assertTrue(summary.has(model + "_real_words"), model + "_real_words missing: " + summary);
    }
    // issue 14's bounds, properties of the result: the aligned models write as well as the SFT
    // model, and the SFT model's words are English. An evaluation has 200 completions, so its
    // 1 point of invalid text is two of them: the bounds on shares are asked of their 95%
    // intervals (the completions must not contradict them), as the SFT model's real words below
    // (a PPO run here wrote 4 of 200 once, 1% over 400). Both keep the half of the SFT
    // model's distinct-2: the quick plan's PPO held it for every seed of BENCHMARKS.md's sweep
    // (session 7: 0.56 to 0.75 of it; the demo itself 0.80)
    double sftInvalid = summary.get("sft_invalid_text").asDouble();
    double sftReal = summary.get("sft_real_words").asDouble();
    double sftDistinct2 = summary.get("sft_distinct2").asDouble();
    for (String method : List.of("ppo", "dpo")) {
      JsonNode e = new ObjectMapper().readTree(out.resolve("eval/" + method + ".json").toFile());
      assertTrue(e.get("invalid_text_ci_low").asDouble() <= sftInvalid + 0.01, e.toString());
      assertTrue(e.get("real_words_ci_high").asDouble() >= sftReal - 0.05, e.toString());
      assertTrue(summary.get(method + "_invalid_text_ci_low").isNumber(), summary.toString());
    }
    assertTrue(summary.get("dpo_distinct2").asDouble() >= 0.5 * sftDistinct2, summary.toString());
    assertTrue(summary.get("ppo_distinct2").asDouble() >= 0.5 * sftDistinct2, summary.toString());
    // 0.905 on this machine's 200 prompts; CI's CPU may round differently and train another
    // model, so the test asks that its 95% interval not lie below 0.90
    JsonNode sftEval = new ObjectMapper().readTree(out.resolve("eval/sft.json").toFile());
    assertTrue(sftEval.get("real_words_ci_high").asDouble() >= 0.90, sftEval.toString());
    assertEquals(0.0, summary.get("sft_invalid_text").asDouble(), summary.toString());
    double sft = summary.get("sft_gold_reward").asDouble();
    for (String method : List.of("ppo", "dpo")) {
      assertTrue(summary.get(method + "_gold_reward").asDouble() > sft + 0.1, summary.toString());
      assertTrue(summary.get(method + "_win_rate_ci_low").asDouble() > 0.5, summary.toString());
    }
    // every model of the demo writes with the BPE the SFT stage learned
    JsonNode tokenizer = new ObjectMapper().readTree(out.resolve("ppo/model/rlhf4j.json")
        .toFile()).get("tokenizer");
    assertEquals("learned", tokenizer.get("source").asText());
    assertEquals(tokenizer, new ObjectMapper().readTree(out.resolve("sft/model/rlhf4j.json")
        .toFile()).get("tokenizer"));

    // how to run it again (issue 18): the first command and its commit, then the resume
    assertEquals("rlhf4j demo --quick --out " + out + " --stop-after rm",
        summary.get("command").asText());
    assertTrue(summary.get("commit").asText().matches("[0-9a-f]{40}( with uncommitted changes)?"
        + "|unknown"), summary.toString());
    assertEquals("rlhf4j demo --quick --out " + out + " --resume",
        summary.get("resumed").get(0).get("command").asText());
    // the top-level config.conf says what each stage ran, not the defaults
    RlhfConfig top = ConfigLoader.load(out.resolve("config.conf"));
    assertEquals(ConfigLoader.load(out.resolve("sft/config.conf")).sft(), top.sft());
    assertEquals(ConfigLoader.load(out.resolve("rm/config.conf")).reward(), top.reward());
    assertEquals(ConfigLoader.load(out.resolve("ppo/config.conf")).ppo(), top.ppo());
    assertEquals(ConfigLoader.load(out.resolve("dpo/config.conf")).dpo(), top.dpo());
    assertEquals(ConfigLoader.load(out.resolve("eval/config.conf")).eval(), top.eval());
    // each sample with its gold reward
    for (String line : Files.readAllLines(out.resolve("samples.jsonl"))) {
      JsonNode sample = new ObjectMapper().readTree(line);
      for (String model : List.of("sft", "ppo", "dpo")) {
        assertTrue(sample.path(model).path("gold_reward").isNumber(), line);
      }
    }

    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("Reward–KL frontier"), "no frontier in the report");
    assertTrue(html.contains("Reward–diversity frontier"), "no distinct-2 frontier");
    assertTrue(html.contains("Sample completions"), "no samples in the report");
    // one row per model, named with its setting, and the text verdict's column
    Element results = Jsoup.parse(html).select("h2").stream()
        .filter(h -> h.text().startsWith("Results")).findFirst().orElseThrow()
        .nextElementSibling().selectFirst("table");
    assertEquals(List.of("SFT", "DPO β = 0.1", "PPO KL coef = 0.4"), results.select("tr")
        .stream().filter(tr -> !tr.select("td").isEmpty())
        .map(tr -> tr.selectFirst("td").text()).toList());
    assertTrue(results.select("th").eachText().stream().anyMatch(t -> t.startsWith("text")),
        "no text-quality verdict in the table");
    assertTrue(Files.exists(out.resolve("report/ppo-policy-lag.png")));
    assertTrue(Files.exists(out.resolve("ppo/summary.json")));
    assertTrue(Files.exists(out.resolve("ppo/messages.r4jlog")));
  }
}
