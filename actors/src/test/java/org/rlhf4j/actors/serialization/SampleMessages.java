package org.rlhf4j.actors.serialization;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.DType;
import org.rlhf4j.protocol.pb.FinishReason;
import org.rlhf4j.protocol.pb.FrozenModelChunk;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Metrics;
import org.rlhf4j.protocol.pb.ModelShape;
import org.rlhf4j.protocol.pb.NodeHello;
import org.rlhf4j.protocol.pb.Prompt;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.RolloutBatch;
import org.rlhf4j.protocol.pb.RolloutSetup;
import org.rlhf4j.protocol.pb.ScoreRequest;
import org.rlhf4j.protocol.pb.ScoredBatch;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.protocol.pb.ScorerReady;
import org.rlhf4j.protocol.pb.ScorerSetup;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/** Realistic wire messages, one per registered type, from a fixed seed. */
final class SampleMessages {
  static final int VOCAB = 50257; // GPT-2's vocabulary size

  private SampleMessages() {}

  static Prompt prompt(long promptId, int tokens, Random rng) {
    Prompt.Builder prompt = Prompt.newBuilder().setPromptId(promptId);
    for (int t = 0; t < tokens; t++) {
      prompt.addTokenIds(rng.nextInt(VOCAB));
    }
    return prompt.build();
  }

  static PromptBatch promptBatch() {
    Random rng = new Random(1);
    PromptBatch.Builder batch = PromptBatch.newBuilder().setBatchId(17).setSamplesPerPrompt(4)
        .setSeed(-3L).setPromptsPerWork(8).setMinPolicyVersion(6).setWorkerId("node-b/worker-1")
        .setReplyTo("pekko://rlhf4j@127.0.0.1:25520/user/gateway/proxy#1234");
    for (int p = 0; p < 8; p++) {
      batch.addPrompts(prompt(1000 + p, 5 + p, rng));
    }
    return batch.build();
  }

  /** A rollout of a 12-token prompt and {@code responseTokens} sampled tokens with their log-probs. */
  static Rollout rollout(int responseTokens) {
    Random rng = new Random(2);
    Rollout.Builder rollout = Rollout.newBuilder()
        .setRolloutId(0x0000_0003_0000_002AL) // worker 3, rollout 42
        .setPromptId(1003)
        .setPolicyVersion(7)
        .setWorkerId("rollout-worker-3")
        .setSequenceNumber(42)
        .setFinishReason(FinishReason.FINISH_REASON_LENGTH);
    rollout.addAllPromptIds(prompt(1003, 12, rng).getTokenIdsList());
    for (int t = 0; t < responseTokens; t++) {
      rollout.addResponseIds(rng.nextInt(VOCAB));
      rollout.addBehaviourLogprobs((float) Math.log(rng.nextDouble() * 0.999 + 0.001)); // in [log 0.001, 0)
    }
    return rollout.build();
  }

  static ScoredRollout scoredRollout() {
    Rollout rollout = rollout(64);
    Random rng = new Random(3);
    ScoredRollout.Builder scored = ScoredRollout.newBuilder().setRollout(rollout).setScore(0.8125f);
    for (float behaviour : rollout.getBehaviourLogprobsList()) {
      scored.addReferenceLogprobs(behaviour + (float) (0.05 * rng.nextGaussian()));
    }
    return scored.build();
  }

  /** A float32 tensor of the given shape, filled with N(0, 0.02) like GPT-2's initialisation. */
  static Tensor floatTensor(String name, Random rng, long... shape) {
    long elements = 1;
    for (long dim : shape) {
      elements *= dim;
    }
    ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(elements * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
    for (long i = 0; i < elements; i++) {
      data.putFloat((float) (0.02 * rng.nextGaussian()));
    }
    byte[] bytes = data.array();
    Tensor.Builder tensor = Tensor.newBuilder()
        .setName(name)
        .setDtype(DType.DTYPE_F32)
        .setData(ByteString.copyFrom(bytes))
        .setCrc32C(crc32c(bytes));
    for (long dim : shape) {
      tensor.addShape(dim);
    }
    return tensor.build();
  }

  static int crc32c(byte[] bytes) {
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }

  /** Version 8 of a 1-layer GPT-2 with C = 16, V = 256, T = 32 (a subset of its tensors). */
  static WeightsUpdate weightsUpdate() {
    Random rng = new Random(4);
    return WeightsUpdate.newBuilder()
        .setVersion(8)
        .addTensors(floatTensor("wte", rng, 256, 16)) // (V, C)
        .addTensors(floatTensor("wpe", rng, 32, 16)) // (T, C)
        .addTensors(floatTensor("h.0.ln_1.weight", rng, 16)) // (C)
        .addTensors(floatTensor("h.0.attn.c_attn.weight", rng, 16, 48)) // (C, 3C)
        .addTensors(floatTensor("h.0.attn.c_attn.bias", rng, 48)) // (3C)
        .addTensors(floatTensor("ln_f.weight", rng, 16)) // (C)
        .build();
  }

  static Credit credit() {
    return Credit.newBuilder().setConsumerId("learner-0").setAmount(3).build();
  }

  static Metrics metrics() {
    return Metrics.newBuilder()
        .setSource("learner-0")
        .setStep(120)
        .setUnixMillis(1_767_225_600_000L)
        .putValues("objective/kl", 0.0312)
        .putValues("objective/entropy", 2.71)
        .putValues("policy/clipfrac_avg", 0.094)
        .putValues("loss/policy_avg", -0.0137)
        .build();
  }

  static LogRecord logRecord() {
    return LogRecord.newBuilder().setSequence(9001).setScoredRollout(scoredRollout()).build();
  }

  static RolloutBatch rolloutBatch() {
    return RolloutBatch.newBuilder().setBatchId(17).setWorkerId("node-b/worker-1")
        .addRollouts(rollout(16)).addRollouts(rollout(3)).setTokens(19).setNanos(123_456_789L)
        .setPolicyVersion(7).build();
  }

  static NodeHello nodeHello() {
    return NodeHello.newBuilder().setNodeId("node-b").setWorkers(2)
        .setReplyTo("pekko://rlhf4j@127.0.0.1:25521/user/node#99").build();
  }

  static RolloutSetup rolloutSetup() {
    return RolloutSetup.newBuilder().setPolicy(modelShape()).setTemperature(0.7)
        .setResponseLength(16).addStopIds(3).setPadId(0).setKernels("vector").build();
  }

  static ModelShape modelShape(String... heads) {
    return ModelShape.newBuilder().setVocabSize(8192).setContextLength(128).setDModel(128)
        .setAttentionHeads(4).setLayers(2).setLayerNormEpsilon(1e-5)
        .addAllHeads(List.of(heads)).setRewardPooling("last").build();
  }

  static ScorerSetup scorerSetup() {
    return ScorerSetup.newBuilder().setRewardModel(modelShape("REWARD"))
        .setReferenceModel(modelShape("LM")).setTemperature(0.7).setPadId(0)
        .setKernels("fast").setReplyTo("pekko://rlhf4j@127.0.0.1:25520/user/gateway/scorer#7")
        .build();
  }

  static FrozenModelChunk frozenModelChunk() {
    return FrozenModelChunk.newBuilder().setModel("reward").setChunk(weightsUpdate()).build();
  }

  static ScorerReady scorerReady() {
    return ScorerReady.newBuilder().setNodeId("node-c")
        .setReplyTo("pekko://rlhf4j@127.0.0.1:25522/user/node/role#5").build();
  }

  static ScoreRequest scoreRequest() {
    return ScoreRequest.newBuilder().setWorkId(17).addRollouts(rollout(16))
        .addRollouts(rollout(3)).setReplyTo("pekko://rlhf4j@127.0.0.1:25520/user/scorer#7")
        .build();
  }

  static ScoredBatch scoredBatch() {
    return ScoredBatch.newBuilder().setWorkId(17).addScored(scoredRollout())
        .addScored(scoredRollout()).build();
  }

  /** One message of every registered type. */
  static List<Message> all() {
    Random rng = new Random(5);
    return List.of(prompt(1001, 9, rng), promptBatch(), rollout(64), scoredRollout(),
        floatTensor("h.0.mlp.c_fc.weight", rng, 16, 64), weightsUpdate(), credit(), metrics(), logRecord(),
        rolloutBatch(), nodeHello(), rolloutSetup(), scorerSetup(), frozenModelChunk(),
        scorerReady(), scoreRequest(), scoredBatch());
  }
}
