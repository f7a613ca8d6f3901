/** Tokenizers: bytes with a few special tokens, and GPT-2's byte-level BPE read from Hugging Face files or JTokkit. */
package org.rlhf4j.model.tokenizer;
