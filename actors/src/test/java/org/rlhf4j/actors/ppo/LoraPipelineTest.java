package org.rlhf4j.actors.ppo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.rlhf4j.learner.ProgressListener;
import org.rlhf4j.learner.ResponseBatch;
import org.rlhf4j.learner.async.PpoLearner;
import org.rlhf4j.model.Gpt;
import org.rlhf4j.model.GptLayout;
import org.rlhf4j.model.Head;
import org.rlhf4j.model.ParameterSpec;
import org.rlhf4j.model.ParameterStore;
import org.rlhf4j.model.PolicyEvaluation;
import org.rlhf4j.model.io.Checkpoint;
import org.rlhf4j.model.kernels.VectorKernels;
import org.rlhf4j.protocol.MessageLogReader;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;

/** PPO through the actors with LoRA adapters on the tiny policy and critic. */
class LoraPipelineTest {
  /** Every linear layer adapted, so that the adapters move the policy within a few rounds. */
  static final String LORA = "lora { enabled = true, rank = 2, alpha = 8, "
      + "target-modules = [c_attn, c_proj, c_fc] }";
  private static final String SYNC = "async { max-lag = 0, max-in-flight = 8 }, " + LORA;

  @TempDir Path dir;

  @Test
  void aSynchronousLoraRunMovesOnlyAdaptersAndHeadsAndReplaysToItsWeights() throws IOException {
    Path out = dir.resolve("lora");
    PpoPipeline.Spec spec = TinyRun.spec(TinyRun.config(SYNC), out, FaultInjection.none());
    ParameterStore initial = spec.initialPolicy().copy();
    PpoPipeline.Outcome o = PpoPipeline.run(spec, ProgressListener.none());
    PipelineResult r = o.result();
    assertEquals(4, r.version());
    assertEquals(32, r.learner().trained());

    // the final model is saved with its adapters and lora settings, as the summary names it
    Checkpoint.Contents model = Checkpoint.load(o.model(), DataType.FLOAT);
    assertEquals(r.weightsSha256(), model.params().sha256());
    assertEquals(spec.policyModel().lora(), model.adapters());
    for (ParameterSpec s : model.params().layout().specs()) {
      boolean moved = initial.get(s.name()).sub(model.params().get(s.name())).amaxNumber()
          .doubleValue() != 0;
      assertEquals(GptLayout.isAdapter(s.name()), moved, s.name()
          + (moved ? ": a frozen tensor changed" : ": an adapter did not train"));
    }
    JsonNode summary = new ObjectMapper().readTree(o.summary().toFile());
    assertEquals(0, summary.get("reference_weights_bytes").asLong(),
        "the reference holds weights of its own");
    // the workers sampled merged weights: the final snapshot is the merged model
    assertTrue(o.policy().model().lora().isEmpty());

    PpoLearner replayed = PipelineReplay.run(out).learner();
    assertEquals(r.weightsSha256(), replayed.policyParams().sha256());
    assertEquals(r.learner(), replayed.ledger());

    assertTheReferenceIsTheBaseModel(out.resolve(PpoPipeline.LOG), initial);
  }

  /**
   * Every reference log-prob in the log is the base model's (no adapters, the initial body),
   * though the policy the later rollouts were sampled from had moved away from it.
   */
  private static void assertTheReferenceIsTheBaseModel(Path log, ParameterStore initial)
      throws IOException {
    Gpt base = new Gpt(TinyRun.SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore body = base.initialParameters(0, DataType.FLOAT);
    for (ParameterSpec s : body.layout().specs()) {
      body.get(s.name()).assign(initial.get(s.name()));
    }
    double worst = 0;
    double moved = 0;
    try (MessageLogReader reader = MessageLogReader.open(log)) {
      for (Optional<LogRecord> rec = reader.next(); rec.isPresent(); rec = reader.next()) {
        if (!rec.get().hasScoredRollout()) {
          continue;
        }
        ScoredRollout s = rec.get().getScoredRollout();
        Rollout r = s.getRollout();
        int[] prompt = r.getPromptIdsList().stream().mapToInt(Integer::intValue).toArray();
        int[] response = r.getResponseIdsList().stream().mapToInt(Integer::intValue).toArray();
        ResponseBatch batch = ResponseBatch.of(List.of(prompt), List.of(response),
            TinyRun.SMALL.contextLength(), TinyRun.PAD);
        double[] logprobs = PolicyEvaluation.of(base, body, batch.tokens(), batch.targets(), 1.0,
            false, false).logprobs();
        for (int k = 0; k < response.length; k++) {
          worst = Math.max(worst, Math.abs(logprobs[batch.row(0, k)]
              - s.getReferenceLogprobs(k)));
          moved = Math.max(moved, Math.abs(r.getBehaviourLogprobs(k)
              - s.getReferenceLogprobs(k)));
        }
      }
    }
    assertTrue(worst < 1e-5, "reference vs base log-probs differ by " + worst);
    assertTrue(moved > 1e-3, "the policy never left the reference: " + moved);
  }
}
