package org.rlhf4j.model;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.rlhf4j.config.ModelConfig;

/**
 * Keys and values of every layer for incremental decoding, with the key mask and each row's count
 * of real tokens (its next position id). Sized once for (B, capacity); owned by one decoder.
 */
public final class KvCache {
  final INDArray[] keys; // L × (B, NH, capacity, HS)
  final INDArray[] values; // L × (B, NH, capacity, HS)
  final int[] keyMask; // (B, capacity)
  final int[] realTokens; // (B)
  final int batch;
  final int capacity;
  int filled;

  public KvCache(ModelConfig config, int batch, int capacity, DataType dtype) {
    if (capacity > config.contextLength()) {
      throw new IllegalArgumentException("capacity " + capacity + " exceeds the context length "
          + config.contextLength());
    }
    this.batch = batch;
    this.capacity = capacity;
    this.keys = new INDArray[config.layers()];
    this.values = new INDArray[config.layers()];
    for (int l = 0; l < config.layers(); l++) {
      keys[l] = Nd4j.zeros(dtype, batch, config.heads(), capacity, config.headSize());
      values[l] = Nd4j.zeros(dtype, batch, config.heads(), capacity, config.headSize());
    }
    this.keyMask = new int[batch * capacity];
    this.realTokens = new int[batch];
  }

  /** Tokens held per row so far (including padding). */
  public int length() {
    return filled;
  }

  public int capacity() {
    return capacity;
  }

  public int batch() {
    return batch;
  }

  /** Empties the cache for reuse with the same shape. */
  public void reset() {
    filled = 0;
    Arrays.fill(keyMask, 0);
    Arrays.fill(realTokens, 0);
  }
}
