package org.rlhf4j.model.io;

import java.util.Map;

/**
 * GPT-2's forward pass in plain loops over double arrays, written from the paper's description and
 * Hugging Face's naming, sharing no code with the model: the independent reference for imports.
 * Linear weights are (in, out) as in GPT-2's Conv1D.
 */
final class NaiveGpt2 {
  private final Map<String, double[]> w;
  private final int vocab;
  private final int d;
  private final int layers;
  private final int heads;
  private final double eps;

  NaiveGpt2(Map<String, double[]> weights, int vocab, int d, int layers, int heads, double eps) {
    this.w = weights;
    this.vocab = vocab;
    this.d = d;
    this.layers = layers;
    this.heads = heads;
    this.eps = eps;
  }

  /** Logits (T, V) for one unpadded sequence. */
  double[][] logits(int[] tokens) {
    int t = tokens.length;
    double[][] x = new double[t][d];
    for (int i = 0; i < t; i++) {
      for (int c = 0; c < d; c++) {
        x[i][c] = w.get("wte.weight")[tokens[i] * d + c] + w.get("wpe.weight")[i * d + c];
      }
    }
    for (int l = 0; l < layers; l++) {
      String h = "h." + l + ".";
      double[][] a = layerNorm(x, w.get(h + "ln_1.weight"), w.get(h + "ln_1.bias"));
      double[][] qkv = linear(a, w.get(h + "attn.c_attn.weight"), w.get(h + "attn.c_attn.bias"), 3 * d);
      double[][] y = attention(qkv);
      double[][] proj = linear(y, w.get(h + "attn.c_proj.weight"), w.get(h + "attn.c_proj.bias"), d);
      add(x, proj);
      double[][] b = layerNorm(x, w.get(h + "ln_2.weight"), w.get(h + "ln_2.bias"));
      double[][] fc = linear(b, w.get(h + "mlp.c_fc.weight"), w.get(h + "mlp.c_fc.bias"), 4 * d);
      for (double[] row : fc) {
        for (int j = 0; j < row.length; j++) {
          double v = row[j];
          row[j] = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
        }
      }
      add(x, linear(fc, w.get(h + "mlp.c_proj.weight"), w.get(h + "mlp.c_proj.bias"), d));
    }
    double[][] f = layerNorm(x, w.get("ln_f.weight"), w.get("ln_f.bias"));
    double[][] logits = new double[t][vocab];
    for (int i = 0; i < t; i++) {
      for (int v = 0; v < vocab; v++) {
        double s = 0;
        for (int c = 0; c < d; c++) {
          s += f[i][c] * w.get("wte.weight")[v * d + c];
        }
        logits[i][v] = s;
      }
    }
    return logits;
  }

  private double[][] attention(double[][] qkv) {
    int t = qkv.length;
    int hs = d / heads;
    double[][] y = new double[t][d];
    for (int h = 0; h < heads; h++) {
      for (int i = 0; i < t; i++) {
        double[] scores = new double[i + 1];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j <= i; j++) {
          double s = 0;
          for (int c = 0; c < hs; c++) {
            s += qkv[i][h * hs + c] * qkv[j][d + h * hs + c];
          }
          scores[j] = s / Math.sqrt(hs);
          max = Math.max(max, scores[j]);
        }
        double sum = 0;
        for (int j = 0; j <= i; j++) {
          scores[j] = Math.exp(scores[j] - max);
          sum += scores[j];
        }
        for (int j = 0; j <= i; j++) {
          for (int c = 0; c < hs; c++) {
            y[i][h * hs + c] += scores[j] / sum * qkv[j][2 * d + h * hs + c];
          }
        }
      }
    }
    return y;
  }

  private double[][] layerNorm(double[][] x, double[] gain, double[] bias) {
    double[][] out = new double[x.length][d];
    for (int i = 0; i < x.length; i++) {
      double mean = 0;
      for (double v : x[i]) {
        mean += v / d;
      }
      double var = 0;
      for (double v : x[i]) {
        var += (v - mean) * (v - mean) / d;
      }
      for (int c = 0; c < d; c++) {
        out[i][c] = (x[i][c] - mean) / Math.sqrt(var + eps) * gain[c] + bias[c];
      }
    }
    return out;
  }

  private static double[][] linear(double[][] x, double[] weight, double[] bias, int out) {
    int in = x[0].length;
    double[][] y = new double[x.length][out];
    for (int i = 0; i < x.length; i++) {
      for (int o = 0; o < out; o++) {
        double s = bias[o];
        for (int k = 0; k < in; k++) {
          s += x[i][k] * weight[k * out + o];
        }
        y[i][o] = s;
      }
    }
    return y;
  }

  private static void add(double[][] x, double[][] y) {
    for (int i = 0; i < x.length; i++) {
      for (int c = 0; c < x[i].length; c++) {
        x[i][c] += y[i][c];
      }
    }
  }
}
