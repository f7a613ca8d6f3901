package org.rlhf4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes a byte-level BPE tokenizer in Hugging Face's layout: {@code vocab.json} plus
 * {@code merges.txt}, or a single {@code tokenizer.json} whose {@code model} holds the same two tables.
 */
final class HuggingFaceFiles {

    static final String VOCAB_JSON = "vocab.json";
    static final String MERGES_TXT = "merges.txt";
    static final String TOKENIZER_JSON = "tokenizer.json";

    // Duplicate tokens and trailing garbage are errors rather than silently ignored:
    // either one means the file is not the vocabulary its author thinks it is.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final String MERGES_HEADER = "#version: 0.2";

    private HuggingFaceFiles() {
    }

    /** Reads vocab.json + merges.txt if both are in the directory, otherwise tokenizer.json. */
    static BpeTables readDirectory(Path directory) {
        Path vocabJson = directory.resolve(VOCAB_JSON);
        Path mergesTxt = directory.resolve(MERGES_TXT);
        Path tokenizerJson = directory.resolve(TOKENIZER_JSON);
        boolean hasVocab = Files.isRegularFile(vocabJson);
        boolean hasMerges = Files.isRegularFile(mergesTxt);
        if (hasVocab && hasMerges) {
            return readVocabAndMerges(vocabJson, mergesTxt);
        }
        if (Files.isRegularFile(tokenizerJson)) {
            return readTokenizerJson(tokenizerJson);
        }
        if (hasVocab || hasMerges) {
            return readVocabAndMerges(vocabJson, mergesTxt); // reports which of the pair is missing
        }
        throw new TokenizerFileException(directory + ": expected " + VOCAB_JSON + " and " + MERGES_TXT
                + ", or " + TOKENIZER_JSON + ", but found none of them");
    }

    static BpeTables readVocabAndMerges(Path vocabJson, Path mergesTxt) {
        Map<String, Integer> vocab = parseVocab(readJson(vocabJson), vocabJson.toString());
        List<BpeTables.Merge> merges = readMergesTxt(mergesTxt, vocab, vocabJson.getFileName().toString());
        return new BpeTables(vocabJson.toString(), vocab, merges);
    }

    static BpeTables readTokenizerJson(Path file) {
        JsonNode root = readJson(file);
        JsonNode model = root.path("model");
        if (!model.isObject()) {
            throw new TokenizerFileException(file + ": expected an object at \"model\", got " + model.getNodeType());
        }
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw new TokenizerFileException(file + ": expected model.type \"BPE\", got \"" + type + "\"");
        }
        Map<String, Integer> vocab = new HashMap<>(parseVocab(model.path("vocab"), file + " model.vocab"));
        addAddedTokens(root.path("added_tokens"), vocab, file);
        JsonNode mergesNode = model.path("merges");
        if (!mergesNode.isArray()) {
            throw new TokenizerFileException(
                    file + " model.merges: expected an array of merges, got " + mergesNode.getNodeType());
        }
        List<BpeTables.Merge> merges = new ArrayList<>(mergesNode.size());
        for (int i = 0; i < mergesNode.size(); i++) {
            merges.add(parseJsonMerge(mergesNode.get(i), vocab, file + " model.merges[" + i + "]"));
        }
        return new BpeTables(file.toString(), vocab, merges);
    }

    /** Writes vocab.json (ids in order) and merges.txt (priority order) into the directory. */
    static void writeVocabAndMerges(BpeTables tables, Path directory) {
        String[] tokens = tables.tokensById();
        Map<String, Integer> vocabInIdOrder = new LinkedHashMap<>();
        for (int id = 0; id < tokens.length; id++) {
            vocabInIdOrder.put(tokens[id], id);
        }
        try {
            Files.createDirectories(directory);
            JSON.writeValue(directory.resolve(VOCAB_JSON).toFile(), vocabInIdOrder);
            try (Writer out = Files.newBufferedWriter(directory.resolve(MERGES_TXT), StandardCharsets.UTF_8)) {
                out.write(MERGES_HEADER + "\n");
                for (BpeTables.Merge merge : tables.merges()) {
                    out.write(tokens[merge.left()] + " " + tokens[merge.right()] + "\n");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer files to " + directory, e);
        }
    }

    private static JsonNode readJson(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return JSON.readTree(in);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new TokenizerFileException(
                    file + ": expected valid JSON, but it is malformed" + where + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
    }

    private static Map<String, Integer> parseVocab(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new TokenizerFileException(
                    where + ": expected a JSON object mapping token to id, got " + node.getNodeType());
        }
        Map<String, Integer> vocab = new HashMap<>(node.size() * 2);
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode id = field.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw new TokenizerFileException(
                        where + ": expected an integer id for token '" + field.getKey() + "', got " + id);
            }
            vocab.put(field.getKey(), id.intValue());
        }
        return vocab;
    }

    // Special tokens may be listed only here; when they are also in the vocab, the two must agree.
    private static void addAddedTokens(JsonNode addedTokens, Map<String, Integer> vocab, Path file) {
        if (!addedTokens.isMissingNode() && !addedTokens.isArray()) {
            throw new TokenizerFileException(
                    file + " added_tokens: expected an array, got " + addedTokens.getNodeType());
        }
        for (int i = 0; i < addedTokens.size(); i++) {
            JsonNode token = addedTokens.get(i);
            String where = file + " added_tokens[" + i + "]";
            if (!token.path("content").isTextual() || !token.path("id").canConvertToInt()) {
                throw new TokenizerFileException(where + ": expected {\"id\": int, \"content\": string}, got " + token);
            }
            String content = token.get("content").asText();
            int id = token.get("id").intValue();
            Integer existing = vocab.putIfAbsent(content, id);
            if (existing != null && existing != id) {
                throw new TokenizerFileException(where + ": expected '" + content + "' to have the id " + existing
                        + " that model.vocab gives it, got " + id);
            }
        }
    }

    /**
     * Tables from a vocabulary listed by id and merges as "left right" lines, as a checkpoint's
     * tokenizer description stores a Hugging Face tokenizer's; {@code source} names it in errors.
     */
    static BpeTables fromLists(String source, List<String> tokensById, List<String> mergeLines) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < tokensById.size(); id++) {
            vocab.put(tokensById.get(id), id);
        }
        List<BpeTables.Merge> merges = new ArrayList<>(mergeLines.size());
        for (int i = 0; i < mergeLines.size(); i++) {
            merges.add(parseTextMerge(mergeLines.get(i), vocab, source + ", merge " + (i + 1),
                    "the vocabulary"));
        }
        return new BpeTables(source, vocab, merges);
    }

    private static List<BpeTables.Merge> readMergesTxt(Path file, Map<String, Integer> vocab, String vocabName) {
        List<BpeTables.Merge> merges = new ArrayList<>(vocab.size());
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int lineNumber = 0;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                lineNumber++;
                if (line.isEmpty() || (lineNumber == 1 && line.startsWith("#version"))) {
                    continue;
                }
                String where = file + " line " + lineNumber;
                merges.add(parseTextMerge(line, vocab, where, vocabName));
            }
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        return merges;
    }

    private static BpeTables.Merge parseJsonMerge(JsonNode node, Map<String, Integer> vocab, String where) {
        if (node.isTextual()) {
            return parseTextMerge(node.asText(), vocab, where, "model.vocab");
        }
        if (node.isArray() && node.size() == 2 && node.get(0).isTextual() && node.get(1).isTextual()) {
            return merge(node.get(0).asText(), node.get(1).asText(), vocab, where, "model.vocab");
        }
        throw new TokenizerFileException(
                where + ": expected a merge as \"left right\" or [\"left\", \"right\"], got " + node);
    }

    private static BpeTables.Merge parseTextMerge(String text, Map<String, Integer> vocab, String where,
            String vocabName) {
        int space = text.indexOf(' ');
        if (space <= 0 || space == text.length() - 1 || text.indexOf(' ', space + 1) >= 0) {
            throw new TokenizerFileException(
                    where + ": expected two tokens separated by a single space, got '" + text + "'");
        }
        return merge(text.substring(0, space), text.substring(space + 1), vocab, where, vocabName);
    }

    private static BpeTables.Merge merge(String left, String right, Map<String, Integer> vocab, String where,
            String vocabName) {
        int leftId = idOf(left, vocab, where, vocabName);
        int rightId = idOf(right, vocab, where, vocabName);
        Integer merged = vocab.get(left + right);
        if (merged == null) {
            throw new TokenizerFileException(where + ": expected the merged token '" + left + right + "' in "
                    + vocabName + ", but it is not there");
        }
        return new BpeTables.Merge(leftId, rightId, merged);
    }

    private static int idOf(String token, Map<String, Integer> vocab, String where, String vocabName) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new TokenizerFileException(
                    where + ": expected tokens from " + vocabName + ", but '" + token + "' is not in it");
        }
        return id;
    }

    private static TokenizerFileException unreadable(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return new TokenizerFileException(file + ": expected a file here, but it does not exist", e);
        }
        if (e instanceof CharacterCodingException) {
            return new TokenizerFileException(file + ": expected UTF-8 text, but it is not valid UTF-8", e);
        }
        return new TokenizerFileException(file + ": cannot be read: " + e, e);
    }
}
