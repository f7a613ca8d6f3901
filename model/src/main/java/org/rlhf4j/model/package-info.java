/** The GPT-2-style transformer: layers with forward and backward, heads, KV cache, AdamW, checkpoints, tokenizers. */
package org.rlhf4j.model;
