package org.rlhf4j.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rlhf4j.cli.UserInputException;

/**
 * One {@code rlhf4j eval} report: a flat JSON object of measures, each estimate followed by its
 * 95% interval under {@code <key>_ci_low} and {@code <key>_ci_high}; an undefined value is
 * {@code null}. Flat: a JSON object holding an object or an array (the demo's
 * {@code summary.json}, with its stage timings) is not an eval report.
 *
 * @param label how the report names it, e.g. {@code eval} or {@code ppo/eval}
 * @param fields the JSON object's fields in file order
 */
record EvalReport(String label, Map<String, JsonNode> fields) {
  static final String GOLD_REWARD = "gold_reward";
  static final String KL = "kl";
  static final String WIN_RATE = "win_rate";
  static final String RM_ACCURACY = "rm_accuracy";
  static final String INVALID_TEXT = "invalid_text";
  static final String DISTINCT2 = "distinct2";
  static final String REAL_WORDS = "real_words";
  static final String SFT_NLL = "sft_nll";
  static final String RM_SCORE = "rm_score";
  static final String PROMPTS = "prompts";
  /** {@code "ok"} or {@code "degraded: ..."}: the policy's text against its baseline's. */
  static final String TEXT_QUALITY = "text_quality";
  static final String DEGRADED = "degraded";
  /** How a frontier's legend names a point whose report says its text degraded. */
  static final String DEGRADED_MARK = " (text degraded)";
  static final String LOW = "_ci_low";
  static final String HIGH = "_ci_high";
  /** A JSON object with one of these is an eval report; other JSON files are not. */
  private static final List<String> MEASURES = List.of(GOLD_REWARD, KL, WIN_RATE, RM_ACCURACY,
      INVALID_TEXT);
  private static final ObjectMapper JSON = new ObjectMapper();

  EvalReport {
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /**
   * Reads {@code file} if it is an eval report; empty for any other JSON value (an array, an
   * object without a measure such as a model's {@code config.json}, an object that is not flat).
   *
   * @throws UserInputException naming the file when it is not JSON at all
   */
  static Optional<EvalReport> read(Path file, String label) throws IOException {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new UserInputException(file + ": malformed JSON (" + e.getOriginalMessage()
          + "); expected an rlhf4j eval report or another JSON file");
    }
    if (root == null || !root.isObject() || MEASURES.stream().noneMatch(root::has)) {
      return Optional.empty();
    }
    for (JsonNode value : root) {
      if (value.isContainerNode()) {
        return Optional.empty();
      }
    }
    Map<String, JsonNode> fields = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      fields.put(field.getKey(), field.getValue());
    }
    return Optional.of(new EvalReport(label, fields));
  }

  /**
   * {@code measure}'s value as a table cell: {@code 0.4321}, {@code n/a} when null and
   * {@code —} when the report lacks it.
   */
  String value(String measure) {
    JsonNode value = fields.get(measure);
    return value == null ? "—" : text(value);
  }

  /**
   * {@code measure}'s 95% interval as a table cell, {@code [0.401, 0.463]}, or {@code [n/a]}
   * when a bound is undefined; empty when the report gives the measure no interval.
   */
  Optional<String> interval(String measure) {
    JsonNode low = fields.get(measure + LOW);
    JsonNode high = fields.get(measure + HIGH);
    if (low == null && high == null) {
      return Optional.empty();
    }
    if (number(low).isPresent() && number(high).isPresent()) {
      return Optional.of("[" + Decimals.format(low.asDouble(), 3) + ", "
          + Decimals.format(high.asDouble(), 3) + "]");
    }
    return Optional.of("[n/a]");
  }

  /** Whether the report has {@code measure}. */
  boolean has(String measure) {
    return fields.containsKey(measure);
  }

  /** The {@code text_quality} verdict, {@code ok} or {@code degraded: ...}, when there is one. */
  Optional<String> textVerdict() {
    JsonNode verdict = fields.get(TEXT_QUALITY);
    return verdict != null && verdict.isTextual() ? Optional.of(verdict.asText())
        : Optional.empty();
  }

  /**
   * Whether the report says the policy writes worse than its baseline ({@code text_quality}
   * starts with {@code degraded}): it may have won its gold reward by destroying text.
   */
  boolean textDegraded() {
    JsonNode verdict = fields.get(TEXT_QUALITY);
    return verdict != null && verdict.isTextual() && verdict.asText().startsWith(DEGRADED);
  }

  /**
   * The report on the plane of gold reward against {@code xMeasure} (e.g. {@code kl},
   * {@code distinct2}), when it has both, named {@code name} in the legend ({@code DPO β = 0.1}),
   * with {@value #DEGRADED_MARK} after it when its text degraded.
   */
  Optional<Plots.FrontierPoint> frontierPoint(String name, String xMeasure) {
    Optional<Double> x = number(fields.get(xMeasure));
    Optional<Double> reward = number(fields.get(GOLD_REWARD));
    if (x.isEmpty() || reward.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new Plots.FrontierPoint(name + (textDegraded() ? DEGRADED_MARK : ""),
        x.get(), bound(xMeasure + LOW), bound(xMeasure + HIGH), reward.get(),
        bound(GOLD_REWARD + LOW), bound(GOLD_REWARD + HIGH)));
  }

  private double bound(String key) {
    return number(fields.get(key)).orElse(Double.NaN);
  }

  private static Optional<Double> number(JsonNode node) {
    return node != null && node.isNumber() && Double.isFinite(node.asDouble())
        ? Optional.of(node.asDouble()) : Optional.empty();
  }

  private static String text(JsonNode node) {
    if (node.isNumber()) {
      return Decimals.format(node.asDouble());
    }
    if (node.isNull()) {
      return "n/a";
    }
    return node.isTextual() ? node.asText() : node.toString();
  }
}
