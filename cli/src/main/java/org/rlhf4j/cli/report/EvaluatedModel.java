package org.rlhf4j.cli.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An eval report with the stage that trained its model, when the run directory tells: named for
 * people ({@code DPO β = 0.1}, not {@code eval/dpo}) in the results table, the frontiers' legends
 * and the samples.
 *
 * @param run the stage whose model was evaluated, if found
 * @param name unique among a report's models
 */
record EvaluatedModel(EvalReport report, Optional<StageRun> run, String name) {

  /**
   * Each report with its stage and name, in pipeline order (SFT, DPO, PPO), a sweep by its
   * setting. A report {@code DIR/X.json} is of the stage in {@code DIR}; otherwise
   * {@code X.json} is of the stage whose directory is named {@code X} ({@code eval/ppo.json} of
   * {@code ppo/}, {@code eval/ppo-kl0.2.json} of {@code sweep/ppo-kl0.2/}, as the demo lays
   * them out). A name two models would share gets the report's label after it.
   */
  static List<EvaluatedModel> of(List<EvalReport> reports, List<StageRun> stages) {
    List<EvaluatedModel> models = new ArrayList<>();
    for (EvalReport report : reports) {
      Optional<StageRun> run = stageOf(report.label(), stages);
      models.add(new EvaluatedModel(report, run,
          run.map(StageSettings::modelName).orElse(report.label())));
    }
    Map<String, Integer> uses = new HashMap<>();
    models.forEach(m -> uses.merge(m.name(), 1, Integer::sum));
    List<EvaluatedModel> named = new ArrayList<>();
    for (EvaluatedModel m : models) {
      named.add(uses.get(m.name()) == 1 ? m
          : new EvaluatedModel(m.report(), m.run(), m.name() + " (" + m.report().label() + ")"));
    }
    named.sort(Comparator.comparing(EvaluatedModel::stage)
        // NaN, no setting, last
        .thenComparingDouble(m -> m.run().map(StageSettings::keySetting).orElse(Double.NaN))
        .thenComparing(m -> m.report().label()));
    return named;
  }

  /**
   * The name of the model a sample file labels {@code label} ({@code ppo}): the name of the
   * model whose report has that label's stage, or the label itself.
   */
  static String nameOf(String label, List<EvaluatedModel> models, List<StageRun> stages) {
    Optional<StageRun> run = stages.stream().filter(s -> s.name().equals(label)).findFirst();
    return run.flatMap(r -> models.stream().filter(m -> m.run().equals(Optional.of(r)))
        .map(EvaluatedModel::name).findFirst())
        .orElseGet(() -> run.map(StageSettings::modelName).orElse(label));
  }

  /** What trained the model; {@link TrainingStage#OTHER} when unknown. */
  TrainingStage stage() {
    return run.map(StageRun::stage).orElse(TrainingStage.OTHER);
  }

  private static Optional<StageRun> stageOf(String label, List<StageRun> stages) {
    int slash = label.lastIndexOf('/');
    String parent = slash < 0 ? "" : label.substring(0, slash);
    String base = label.substring(slash + 1);
    Optional<StageRun> holder = stages.stream().filter(s -> s.directory().equals(parent))
        .findFirst();
    if (holder.isPresent()) {
      return holder;
    }
    // a stage right under the run directory before a sweep's run of the same name
    return stages.stream().filter(s -> s.name().equals(base))
        .min(Comparator.comparing(s -> !s.charted()));
  }
}
