/**
 * The GPT-2-style transformer: parameters in one flat buffer, forward and backward per layer,
 * LM/value/reward heads, KV cache, AdamW.
 *
 * <p>Shape letters used in comments throughout: B batch, T tokens in this pass (queries),
 * S keys attended over (T, or cache length + T when decoding), C channels (d-model), V vocabulary,
 * L layers, NH heads, HS head size (C / NH), N = B·T rows.
 */
package org.rlhf4j.model;
