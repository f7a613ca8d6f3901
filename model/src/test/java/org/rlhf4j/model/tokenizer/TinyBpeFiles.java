package org.rlhf4j.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A hand-made byte-level BPE small enough to work out ids by hand: byte b has id b, then
 * 256 "he", 257 "ll", 258 "hell", 259 "hello", 260 "Ġw", 261 "or", 262 "Ġwor", 263 endoftext.
 */
final class TinyBpeFiles {

    static final List<String> MERGES = List.of("h e", "l l", "he ll", "hell o", "\u0120 w", "o r", "\u0120w or");
    static final List<String> MERGED_TOKENS = List.of("he", "ll", "hell", "hello", "\u0120w", "or", "\u0120wor");
    static final int END_OF_TEXT_ID = 263;

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinyBpeFiles() {
    }

    static Map<String, Integer> vocab() {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevelAlphabet.charOf(b)), b);
        }
        for (String token : MERGED_TOKENS) {
            vocab.put(token, vocab.size());
        }
        vocab.put("<|endoftext|>", END_OF_TEXT_ID);
        return vocab;
    }

    static Path writeVocabJson(Path directory, Map<String, Integer> vocab) throws IOException {
        Path file = directory.resolve("vocab.json");
        JSON.writeValue(file.toFile(), vocab);
        return file;
    }

    static Path writeMergesTxt(Path directory, List<String> merges) throws IOException {
        Path file = directory.resolve("merges.txt");
        Files.writeString(file, "#version: 0.2\n" + String.join("\n", merges) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    /** A tokenizer.json with merges as "a b" strings, or as ["a", "b"] arrays. */
    static Path writeTokenizerJson(Path directory, Map<String, Integer> vocab, List<String> merges,
            boolean mergesAsArrays) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.set("vocab", JSON.valueToTree(vocab));
        ArrayNode mergeNodes = model.putArray("merges");
        for (String merge : merges) {
            if (mergesAsArrays) {
                String[] pair = merge.split(" ");
                mergeNodes.addArray().add(pair[0]).add(pair[1]);
            } else {
                mergeNodes.add(merge);
            }
        }
        Path file = directory.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), root);
        return file;
    }
}
