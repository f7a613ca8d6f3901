package org.rlhf4j.protocol;

import com.google.protobuf.ByteString;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.rlhf4j.protocol.pb.Credit;
import org.rlhf4j.protocol.pb.DType;
import org.rlhf4j.protocol.pb.FinishReason;
import org.rlhf4j.protocol.pb.LogRecord;
import org.rlhf4j.protocol.pb.Metrics;
import org.rlhf4j.protocol.pb.Prompt;
import org.rlhf4j.protocol.pb.PromptBatch;
import org.rlhf4j.protocol.pb.Rollout;
import org.rlhf4j.protocol.pb.ScoredRollout;
import org.rlhf4j.protocol.pb.Tensor;
import org.rlhf4j.protocol.pb.WeightsUpdate;

/** Seeded random log records of every message type, for round-trip and corruption tests. */
final class RandomRecords {
  private final SplittableRandom rng;
  private long sequence;

  RandomRecords(long seed) {
    this.rng = new SplittableRandom(seed);
  }

  LogRecord next() {
    LogRecord.Builder b = LogRecord.newBuilder().setSequence(sequence++);
    switch (rng.nextInt(6)) {
      case 0 -> b.setPromptBatch(promptBatch());
      case 1 -> b.setRollout(rollout());
      case 2 -> b.setScoredRollout(
          ScoredRollout.newBuilder().setRollout(rollout()).setScore((float) rng.nextGaussian())
              .addAllReferenceLogprobs(floats(rng.nextInt(8))).build());
      case 3 -> b.setWeightsUpdate(weights());
      case 4 -> b.setCredit(Credit.newBuilder().setConsumerId("worker-" + rng.nextInt(4))
          .setAmount(1 + rng.nextInt(3)).build());
      default -> b.setMetrics(Metrics.newBuilder().setSource("learner").setStep(rng.nextInt(1000))
          .setUnixMillis(1_700_000_000_000L + rng.nextInt(1000))
          .putValues("loss/policy_avg", rng.nextGaussian()).putValues("objective/kl", rng.nextDouble())
          .build());
    }
    return b.build();
  }

  private PromptBatch promptBatch() {
    PromptBatch.Builder b = PromptBatch.newBuilder().setBatchId(rng.nextLong(1 << 20))
        .setSamplesPerPrompt(1 + rng.nextInt(4));
    for (int i = rng.nextInt(4); i >= 0; i--) {
      b.addPrompts(Prompt.newBuilder().setPromptId(rng.nextLong(1 << 20))
          .addAllTokenIds(ints(1 + rng.nextInt(10))).build());
    }
    return b.build();
  }

  private Rollout rollout() {
    int n = rng.nextInt(12);
    return Rollout.newBuilder().setRolloutId(rng.nextLong(1L << 40)).setPromptId(rng.nextInt(100))
        .addAllPromptIds(ints(1 + rng.nextInt(8))).addAllResponseIds(ints(n))
        .addAllBehaviourLogprobs(floats(n)).setPolicyVersion(rng.nextInt(50))
        .setWorkerId("worker-" + rng.nextInt(4)).setSequenceNumber(rng.nextInt(1000))
        .setFinishReason(rng.nextBoolean() ? FinishReason.FINISH_REASON_STOP_TOKEN
            : FinishReason.FINISH_REASON_LENGTH)
        .build();
  }

  private WeightsUpdate weights() {
    byte[] data = new byte[4 * rng.nextInt(1, 300)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) rng.nextInt(256);
    }
    CRC32C crc = new CRC32C();
    crc.update(data);
    return WeightsUpdate.newBuilder().setVersion(rng.nextInt(100))
        .addTensors(Tensor.newBuilder().setName("h.0.attn.c_attn.weight").setDtype(DType.DTYPE_F32)
            .addShape(data.length / 4).setData(ByteString.copyFrom(data))
            .setCrc32C((int) crc.getValue()).build())
        .build();
  }

  private java.util.List<Integer> ints(int n) {
    java.util.List<Integer> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(rng.nextInt(50257));
    }
    return out;
  }

  private java.util.List<Float> floats(int n) {
    java.util.List<Float> out = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add((float) -rng.nextDouble(10));
    }
    return out;
  }
}
