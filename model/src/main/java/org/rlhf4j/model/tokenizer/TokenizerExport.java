package org.rlhf4j.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tokenizer as the files Hugging Face's {@code AutoTokenizer.from_pretrained} reads as a GPT-2
 * tokenizer: {@code vocab.json}, {@code merges.txt}, {@code tokenizer_config.json} and
 * {@code special_tokens_map.json}. The byte tokenizer becomes a byte-level BPE without merges
 * (each byte its own token, id = byte value), which encodes every text to the same ids.
 */
public final class TokenizerExport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerExport() {}

  /** Writes {@code tokenizer}'s files into {@code dir} for a model of {@code contextLength}. */
  public static void write(Tokenizer tokenizer, int contextLength, Path dir) {
    Map<String, Integer> specials = new TreeMap<>(tokenizer.specialTokens());
    String eos = nameOf(specials, tokenizer.eosId());
    String pad = nameOf(specials, tokenizer.padId());
    String bos = tokenizer instanceof ByteTokenizer ? nameOf(specials, ByteTokenizer.BOS) : eos;
    if (tokenizer instanceof Gpt2Tokenizer gpt2) {
      gpt2.writeVocabAndMerges(dir);
    } else if (tokenizer instanceof ByteTokenizer) {
      Map<String, Integer> vocab = new LinkedHashMap<>();
      for (int b = 0; b < 256; b++) {
        vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
      }
      vocab.putAll(specials);
      HuggingFaceFiles.writeVocabAndMerges(new BpeTables("the byte tokenizer", vocab, List.of()),
          dir);
    } else {
      throw new IllegalArgumentException("no Hugging Face form for the tokenizer " + tokenizer);
    }
    ObjectNode config = JSON.createObjectNode();
    config.put("tokenizer_class", "GPT2Tokenizer");
    config.put("model_max_length", contextLength);
    config.put("add_prefix_space", false);
    config.put("bos_token", bos);
    config.put("eos_token", eos);
    config.put("unk_token", eos);
    config.put("pad_token", pad);
    ObjectNode added = config.putObject("added_tokens_decoder");
    specials.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
      ObjectNode t = added.putObject(Integer.toString(e.getValue()));
      t.put("content", e.getKey());
      t.put("lstrip", false);
      t.put("normalized", true);
      t.put("rstrip", false);
      t.put("single_word", false);
      t.put("special", true);
    });
    ObjectNode map = JSON.createObjectNode();
    map.put("bos_token", bos);
    map.put("eos_token", eos);
    map.put("unk_token", eos);
    map.put("pad_token", pad);
    try {
      JSON.writerWithDefaultPrettyPrinter().writeValue(
          dir.resolve("tokenizer_config.json").toFile(), config);
      JSON.writerWithDefaultPrettyPrinter().writeValue(
          dir.resolve("special_tokens_map.json").toFile(), map);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write tokenizer files to " + dir, e);
    }
  }

  private static String nameOf(Map<String, Integer> specials, int id) {
    return specials.entrySet().stream().filter(e -> e.getValue() == id).map(Map.Entry::getKey)
        .findFirst().orElseThrow(() -> new IllegalArgumentException("no special token has id "
            + id));
  }
}
