package org.rlhf4j.rollout;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.model.Decoder;
import org.rlhf4j.model.Gpt;

/**
 * Batched sampling with a KV cache: left-pads the prompts, runs them through the model in one
 * step, then one token per unfinished row per step until every row has stopped. Each engine has
 * its own seeded random stream, decoder and scratch, sized once per batch shape and reused; many
 * engines may sample from one shared {@link PolicySnapshot} at once.
 */
public final class GenerationEngine {
  private SplittableRandom rng;
  private final int padId;
  private Decoder decoder;
  // the last batch's snapshot: the decoder is its model's, and holds the weights packed from it
  private PolicySnapshot decodedPolicy;
  private TokenSampler sampler;
  private float[] logits; // (B, V) copy of the last step's logits
  private int[] stepIds; // (B)
  private int[] stepMask; // (B)

  /** An engine whose samples are a function of {@code seed} and the calls made to it. */
  public GenerationEngine(long seed, int padId) {
    this.rng = new SplittableRandom(seed);
    this.padId = padId;
  }

  /** Restarts the random stream, e.g. from (run seed, iteration) so a resumed run samples alike. */
  public void reseed(long seed) {
    this.rng = new SplittableRandom(seed);
  }

  /** Samples one response per prompt from {@code policy}. */
  public List<Response> generate(PolicySnapshot policy, List<int[]> prompts, SamplingSettings s) {
    Gpt model = policy.model();
    int b = prompts.size();
    int promptLength = prompts.stream().mapToInt(p -> p.length).max().orElse(0);
    if (b == 0 || promptLength == 0) {
      throw new IllegalArgumentException("need at least one non-empty prompt");
    }
    int capacity = promptLength + s.maxNewTokens();
    if (capacity > model.config().contextLength()) {
      throw new IllegalArgumentException("prompt of " + promptLength + " tokens + "
          + s.maxNewTokens() + " new tokens exceeds the context length "
          + model.config().contextLength());
    }
    prepare(policy, b, capacity);
    int vocab = model.config().vocabSize();

    // 1. the left-padded prompts in one step
    int[] ids = new int[b * promptLength];
    int[] mask = new int[b * promptLength];
    Arrays.fill(ids, padId);
    for (int r = 0; r < b; r++) {
      int[] p = prompts.get(r);
      int start = r * promptLength + promptLength - p.length;
      System.arraycopy(p, 0, ids, start, p.length);
      Arrays.fill(mask, start, start + p.length, 1);
    }
    copyLogits(decoder.step(policy.params(), ids, mask), b, vocab);

    // 2. one token per unfinished row per step; decoder row i holds prompt rowOf[i]
    int[][] tokens = new int[b][s.maxNewTokens()];
    float[][] logprobs = new float[b][s.maxNewTokens()];
    int[] lengths = new int[b];
    FinishReason[] finished = new FinishReason[b];
    int[] rowOf = new int[b];
    Arrays.setAll(rowOf, i -> i);
    int rows = b;
    int active = b;
    for (int step = 0; step < s.maxNewTokens() && active > 0; step++) {
      for (int i = 0; i < rows; i++) {
        int r = rowOf[i];
        if (finished[r] != null) {
          stepIds[i] = padId;
          stepMask[i] = 0;
          continue;
        }
        TokenSampler.Pick pick = sampler.pick(logits, i * vocab, s, rng);
        tokens[r][lengths[r]] = pick.token();
        logprobs[r][lengths[r]] = pick.logprob();
        lengths[r]++;
        stepIds[i] = pick.token();
        stepMask[i] = 1;
        if (s.isStop(pick.token())) {
          finished[r] = FinishReason.STOP_TOKEN;
          active--;
        } else if (lengths[r] == s.maxNewTokens()) {
          finished[r] = FinishReason.LENGTH;
          active--;
        }
      }
      if (active == 0) {
        break;
      }
      int keep = keptRows(active, b);
      if (keep < rows) {
        rows = dropFinished(rowOf, rows, keep, finished);
      }
      copyLogits(decoder.step(policy.params(), rows == b ? stepIds : Arrays.copyOf(stepIds, rows),
          rows == b ? stepMask : Arrays.copyOf(stepMask, rows)), rows, vocab);
    }
    List<Response> responses = new ArrayList<>(b);
    for (int r = 0; r < b; r++) {
      responses.add(new Response(prompts.get(r), Arrays.copyOf(tokens[r], lengths[r]),
          Arrays.copyOf(logprobs[r], lengths[r]), finished[r], policy.version()));
    }
    return responses;
  }

  /**
   * Reuses the decoder and scratch when the model and batch size are unchanged; a prompt of
   * another length only resizes the decoder's cache, which keeps its one-token steps' buffers,
   * and the same snapshot again keeps the weights packed from it (a snapshot is frozen).
   */
  private void prepare(PolicySnapshot policy, int b, int capacity) {
    Gpt model = policy.model();
    if (decoder == null || decodedPolicy.model() != model || decoder.batch() != b) {
      decoder = model.decoder(b, capacity, DataType.FLOAT);
      sampler = new TokenSampler(model.config().vocabSize());
      logits = new float[b * model.config().vocabSize()];
      stepIds = new int[b];
      stepMask = new int[b];
    } else if (policy == decodedPolicy) {
      decoder.resetForSameWeights(capacity);
    } else {
      decoder.reset(capacity);
    }
    decodedPolicy = policy;
  }

  /**
   * How many decoder rows to run for {@code active} unfinished ones of {@code b}: the next
   * multiple of b/8, so that a batch's steps take at most eight shapes (each shape's buffers are
   * allocated once and kept).
   */
  static int keptRows(int active, int b) {
    int unit = Math.max(1, b / 8);
    return Math.min(b, (active + unit - 1) / unit * unit);
  }

  /**
   * Drops decoder rows down to {@code keep}: every unfinished row and, to fill up, the first
   * finished ones, in their order; moves {@code stepIds}, {@code stepMask} and {@code rowOf}
   * with them. Returns {@code keep}.
   */
  private int dropFinished(int[] rowOf, int rows, int keep, FinishReason[] finished) {
    int unfinished = 0;
    for (int i = 0; i < rows; i++) {
      unfinished += finished[rowOf[i]] == null ? 1 : 0;
    }
    int fillers = keep - unfinished;
    int[] kept = new int[keep];
    int n = 0;
    for (int i = 0; i < rows && n < keep; i++) {
      if (finished[rowOf[i]] == null || fillers-- > 0) {
        kept[n++] = i;
      }
    }
    decoder.keepRows(kept);
    for (int j = 0; j < keep; j++) {
      rowOf[j] = rowOf[kept[j]];
      stepIds[j] = stepIds[kept[j]];
      stepMask[j] = stepMask[kept[j]];
    }
    return keep;
  }

  /** Copies the decoder's logits {@code (B, V)} out of its buffer. */
  private void copyLogits(INDArray out, int b, int vocab) {
    out.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer().get(0, logits, 0, b * vocab);
  }
}
