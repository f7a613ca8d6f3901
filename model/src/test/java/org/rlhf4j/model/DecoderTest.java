package org.rlhf4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.rlhf4j.config.ModelConfig;
import org.rlhf4j.model.kernels.FiniteDifferences;
import org.rlhf4j.model.kernels.Kernels;
import org.rlhf4j.model.kernels.Nd4jKernels;
import org.rlhf4j.model.kernels.VectorKernels;

class DecoderTest {
  private static final ModelConfig SMALL = new ModelConfig(37, 24, 32, 2, 4, 1e-5);

  private static ParameterStore params(Gpt gpt) {
    ParameterStore p = gpt.initialParameters(11, DataType.FLOAT);
    p.flat().addi(FiniteDifferences.random(12, 0.2, p.flat().length()).castTo(DataType.FLOAT));
    return p;
  }

  @Test
  void fastKernelsDecodeToTheReferenceForwardsLogits() {
    Gpt reference = new Gpt(SMALL, EnumSet.noneOf(Head.class), new Nd4jKernels());
    Gpt fast = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(reference);
    TokenBatch whole = TokenBatch.leftPadded(List.of(new int[] {1, 2, 3, 4, 5, 6, 7},
        new int[] {8, 9, 10, 11, 12}), 0);
    INDArray expected = reference.forward(p, whole, EnumSet.of(Output.LOGITS)).logits();
    // prompt = first 4 columns of the left-padded batch, then one column per step
    Decoder decoder = fast.decoder(2, 10, DataType.FLOAT);
    int t = whole.length();
    double worst = 0;
    int[] ids = new int[8];
    int[] mask = new int[8];
    for (int r = 0; r < 2; r++) {
      System.arraycopy(whole.ids(), r * t, ids, r * 4, 4);
      System.arraycopy(whole.mask(), r * t, mask, r * 4, 4);
    }
    INDArray logits = decoder.step(p, ids, mask); // the prompt's last position: (2, V)
    assertEquals(2, logits.rows());
    for (int r = 0; r < 2; r++) {
      worst = Math.max(worst, diff(expected.getRow(r * t + 3), logits.getRow(r)));
    }
    for (int i = 4; i < t; i++) {
      logits = decoder.step(p, new int[] {whole.ids()[i], whole.ids()[t + i]},
          new int[] {whole.mask()[i], whole.mask()[t + i]});
      for (int r = 0; r < 2; r++) {
        worst = Math.max(worst, diff(expected.getRow(r * t + i), logits.getRow(r)));
      }
    }
    System.out.printf("vector decode vs reference forward: max diff %.2e%n", worst);
    assertTrue(worst < 1e-5, "differs by " + worst);
  }

  @Test
  void rowsKeptAfterADropDecodeAsTheyWouldHave() {
    // three rows decode two steps; row 1 is dropped, rows 0 and 2 go on as rows 0 and 1 and
    // must get the full forward's logits, which read everything cached for them
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(gpt);
    TokenBatch whole = TokenBatch.leftPadded(List.of(new int[] {1, 2, 3, 4, 5, 6},
        new int[] {7, 8, 9, 10, 11, 12}, new int[] {13, 14, 15, 16, 17}), 0);
    INDArray expected = gpt.forward(p, whole, EnumSet.of(Output.LOGITS)).logits();
    int t = whole.length(); // 6
    Decoder decoder = gpt.decoder(3, 8, DataType.FLOAT);
    int[] ids = new int[9];
    int[] mask = new int[9];
    for (int r = 0; r < 3; r++) {
      System.arraycopy(whole.ids(), r * t, ids, r * 3, 3);
      System.arraycopy(whole.mask(), r * t, mask, r * 3, 3);
    }
    decoder.step(p, ids, mask);
    decoder.step(p, new int[] {whole.ids()[3], whole.ids()[t + 3], whole.ids()[2 * t + 3]},
        new int[] {1, 1, 1});
    decoder.keepRows(new int[] {0, 2});
    assertEquals(2, decoder.rows());
    double worst = 0;
    for (int i = 4; i < t; i++) {
      INDArray logits = decoder.step(p, new int[] {whole.ids()[i], whole.ids()[2 * t + i]},
          new int[] {1, 1});
      assertEquals(2, logits.rows());
      worst = Math.max(worst, diff(expected.getRow(i), logits.getRow(0)));
      worst = Math.max(worst, diff(expected.getRow(2 * t + i), logits.getRow(1)));
    }
    assertTrue(worst < 1e-5, "differs by " + worst);
    decoder.reset();
    assertEquals(3, decoder.rows(), "a reset decoder takes the whole batch again");
  }

  @Test
  void aResetDecoderReproducesItsFirstRunAndReusesItsBuffers() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(gpt);
    Decoder decoder = gpt.decoder(2, 6, DataType.FLOAT);
    INDArray first = decoder.step(p, new int[] {1, 2, 0, 3}, new int[] {1, 1, 0, 1}).dup();
    INDArray step = decoder.step(p, new int[] {4, 5}, new int[] {1, 1});
    INDArray firstStep = step.dup();
    decoder.reset();
    assertEquals(first, decoder.step(p, new int[] {1, 2, 0, 3}, new int[] {1, 1, 0, 1}));
    INDArray again = decoder.step(p, new int[] {4, 5}, new int[] {1, 1});
    assertSame(step, again);
    assertEquals(firstStep, again);
  }

  @ParameterizedTest
  @ValueSource(strings = {"vector", "nd4j"})
  void aDecoderResetToAnotherCapacityDecodesAsANewDecoderOfIt(String kernels) {
    // prompts of other lengths, as a rollout worker's batches come: each run, rows dropped
    // half-way included, must give a new decoder's logits bit for bit, and the one-token steps
    // keep their buffers
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), Kernels.named(kernels));
    ParameterStore p = params(gpt);
    Decoder decoder = gpt.decoder(3, 9, DataType.FLOAT);
    INDArray oneToken = null;
    for (int capacity : new int[] {9, 7, 21, 9, 17}) {
      decoder.reset(capacity);
      assertEquals(capacity, decoder.capacity());
      float[][] got = run(decoder, p, capacity - 5);
      float[][] expected = run(gpt.decoder(3, capacity, DataType.FLOAT), p, capacity - 5);
      for (int i = 0; i < expected.length; i++) {
        assertArrayEquals(expected[i], got[i], "capacity " + capacity + ", step " + i);
      }
      INDArray step = decoder.step(p, new int[] {1, 2}, new int[] {1, 1});
      if (oneToken != null) {
        assertSame(oneToken, step, "a one-token step's buffers outlive a new capacity");
      }
      oneToken = step;
    }
    assertThrows(IllegalArgumentException.class, () -> decoder.reset(SMALL.contextLength() + 1));
    assertEquals(17, decoder.capacity(), "a capacity refused leaves the decoder as it was");
  }

  @Test
  void whatANewCapacityOrPromptReplacesIsFreedAtOnce() {
    // freed, not left to the collector: a G-sized cache is megabytes per layer, and a worker
    // meets a new prompt length every few batches
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(gpt);
    Decoder decoder = gpt.decoder(2, 12, DataType.FLOAT);
    INDArray promptLogits = decoder.step(p, new int[] {1, 2, 3, 4, 5, 6}, new int[6]);
    INDArray stepLogits = decoder.step(p, new int[] {7, 8}, new int[] {1, 1});
    List<INDArray> caches = decoder.caches();
    decoder.reset(12);
    assertTrue(caches.stream().noneMatch(INDArray::wasClosed), "the same capacity keeps its cache");
    assertSame(promptLogits, decoder.step(p, new int[] {1, 2, 3, 4, 5, 6}, new int[6]));
    decoder.reset(10);
    assertTrue(caches.stream().allMatch(INDArray::wasClosed), "the old capacity's cache is freed");
    assertTrue(decoder.caches().stream().noneMatch(INDArray::wasClosed));
    decoder.step(p, new int[] {1, 2, 3, 4}, new int[4]); // a prompt of another length
    assertTrue(promptLogits.wasClosed(), "the last prompt shape's buffers are freed");
    assertSame(stepLogits, decoder.step(p, new int[] {7, 8}, new int[] {1, 1}),
        "the one-token step's are kept");
  }

  /** A prompt of {@code promptLength} tokens in 3 rows, two steps, row 1 dropped, a step more. */
  private static float[][] run(Decoder decoder, ParameterStore p, int promptLength) {
    int[] ids = new int[3 * promptLength];
    int[] mask = new int[3 * promptLength];
    for (int k = 0; k < ids.length; k++) {
      ids[k] = (7 * k + promptLength) % SMALL.vocabSize();
      mask[k] = k % promptLength == 0 && k > 0 ? 0 : 1; // row 1 and 2 left-padded by one
    }
    float[][] logits = new float[4][];
    logits[0] = decoder.step(p, ids, mask).reshape(-1).toFloatVector();
    logits[1] = decoder.step(p, new int[] {3, 4, 5}, new int[] {1, 1, 1}).reshape(-1)
        .toFloatVector();
    logits[2] = decoder.step(p, new int[] {6, 7, 8}, new int[] {1, 1, 1}).reshape(-1)
        .toFloatVector();
    decoder.keepRows(new int[] {0, 2});
    logits[3] = decoder.step(p, new int[] {9, 10}, new int[] {1, 1}).reshape(-1).toFloatVector();
    return logits;
  }

  @Test
  void aDecodeStepAllocatesNoTensorBuffers() {
    // big enough that the smallest activation, (B, C) floats, is 8 KB
    ModelConfig wide = new ModelConfig(512, 40, 256, 2, 4, 1e-5);
    Gpt gpt = new Gpt(wide, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = gpt.initialParameters(1, DataType.FLOAT);
    Decoder decoder = gpt.decoder(8, 40, DataType.FLOAT);
    int[] ones = {1, 1, 1, 1, 1, 1, 1, 1};
    decoder.step(p, new int[16], new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    decoder.step(p, new int[8], ones); // sizes the one-token buffers
    long before = Pointer.totalBytes();
    int steps = 20;
    for (int i = 0; i < steps; i++) {
      decoder.step(p, new int[] {i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7}, ones);
    }
    double perStep = (Pointer.totalBytes() - before) / (double) steps;
    System.out.printf("native bytes per decode step: %.0f%n", perStep);
    // what remains is ND4J's bookkeeping: 40-80 bytes of shape information per op or view
    assertTrue(perStep < 4096, "a decode step allocated " + perStep + " native bytes");
  }

  private static double diff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }

  @ParameterizedTest
  @ValueSource(ints = {2, 16}) // the logits read the lane-packed embedding, then the transpose
  void weightsChangedAfterAResetAreTheOnesDecodedNotTheirPackedCopy(int rows) {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(gpt);
    Steps st = steps(rows);
    Decoder decoder = gpt.decoder(rows, 8, DataType.FLOAT);
    decoder.step(p, st.prompt(), st.ones());
    decoder.step(p, st.next(), st.nextMask()); // a few-row step: products packed
    decoder.reset();
    p.flat().muli(1.5); // in place, as training does between generations
    decoder.step(p, st.prompt(), st.ones());
    INDArray got = decoder.step(p, st.next(), st.nextMask()).dup();
    Decoder fresh = gpt.decoder(rows, 8, DataType.FLOAT);
    fresh.step(p, st.prompt(), st.ones());
    INDArray expected = fresh.step(p, st.next(), st.nextMask());
    assertArrayEquals(expected.reshape(-1).toFloatVector(), got.reshape(-1).toFloatVector());

    // another store without a reset: its weights, not the last store's copies
    ParameterStore other = params(gpt);
    other.flat().muli(0.5);
    decoder.reset();
    decoder.step(p, st.prompt(), st.ones());
    INDArray mixed = decoder.step(other, st.next(), st.nextMask()).dup();
    Decoder again = gpt.decoder(rows, 8, DataType.FLOAT);
    again.step(p, st.prompt(), st.ones());
    INDArray wanted = again.step(other, st.next(), st.nextMask());
    assertArrayEquals(wanted.reshape(-1).toFloatVector(), mixed.reshape(-1).toFloatVector());
  }

  @Test
  void aResetForTheSameWeightsKeepsTheirPackedCopiesAndDecodesAsAFreshDecoder() {
    Gpt gpt = new Gpt(SMALL, EnumSet.noneOf(Head.class), new VectorKernels());
    ParameterStore p = params(gpt);
    int rows = 4;
    Steps st = steps(rows);
    Decoder decoder = gpt.decoder(rows, 8, DataType.FLOAT);
    decoder.step(p, st.prompt(), st.ones());
    decoder.step(p, st.next(), st.nextMask()); // a few-row step: products packed
    int packed = decoder.packedWeights();
    assertTrue(packed > 0, "a few-row step packs its weights");
    decoder.resetForSameWeights(6);
    assertEquals(packed, decoder.packedWeights(), "kept for the same weights");
    decoder.step(p, st.prompt(), st.ones());
    INDArray got = decoder.step(p, st.next(), st.nextMask()).dup();
    Decoder fresh = gpt.decoder(rows, 6, DataType.FLOAT);
    fresh.step(p, st.prompt(), st.ones());
    assertArrayEquals(fresh.step(p, st.next(), st.nextMask()).reshape(-1).toFloatVector(),
        got.reshape(-1).toFloatVector());
    decoder.reset(6);
    assertEquals(0, decoder.packedWeights(), "a reset drops them: the weights may change");
  }

  /** A three-token prompt per row, then one token per row: the steps of a short generation. */
  private record Steps(int[] prompt, int[] ones, int[] next, int[] nextMask) {}

  private static Steps steps(int rows) {
    int[] prompt = new int[rows * 3];
    int[] ones = new int[rows * 3];
    int[] next = new int[rows];
    int[] nextMask = new int[rows];
    for (int i = 0; i < prompt.length; i++) {
      prompt[i] = 1 + i % 30;
      ones[i] = 1;
    }
    for (int r = 0; r < rows; r++) {
      next[r] = 2 + r % 30;
      nextMask[r] = 1;
    }
    return new Steps(prompt, ones, next, nextMask);
  }
}
