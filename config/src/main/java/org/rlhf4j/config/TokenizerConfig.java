package org.rlhf4j.config;

/**
 * The tokenizer of a model trained from scratch: {@code byte} (256 bytes and 4 specials) or
 * {@code bpe} (GPT-2's byte-level scheme, its merges learned from the training texts up to
 * {@code rlhf4j.model.vocab-size} tokens). A checkpoint carries its own and ignores this.
 */
public record TokenizerConfig(String kind) {

  /** Whether a fresh model learns a BPE vocabulary from its training texts. */
  public boolean learnsBpe() {
    return kind.equals("bpe");
  }
}
