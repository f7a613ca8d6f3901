package org.rlhf4j.model.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level BPE, giving exactly GPT-2's ids; {@code <|endoftext|>} (50256) is EOS and pad.
 *
 * <p>Text is split by GPT-2's pre-tokenizer regex, each piece's UTF-8 bytes are mapped through
 * {@link ByteLevelAlphabet}, and {@link BytePairEncoder} merges them by rank. One implementation
 * serves both sources: Hugging Face files ({@link #fromHuggingFace}) and JTokkit's r50k_base
 * ({@link #r50kBase}), whose bundled rank file is turned into the same vocab and merges tables
 * (see {@link TiktokenRanks}). Delegating r50k to JTokkit would have been shorter, but then the two
 * sources would run different code, and only one of them would be what the tests prove.
 *
 * <p>The same scheme with a small vocabulary learned from a corpus ({@link #learn}) gives a tiny
 * model whole words to write; its merges travel in its description, so a checkpoint rebuilds it.
 */
public final class Gpt2Tokenizer implements Tokenizer {

    /** Value of {@link #name()} and of the description's kind. */
    public static final String KIND = "gpt2";

    /** GPT-2's only special token, which ends every document it was trained on. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    /** Key of {@link #describe()} that names where the tables came from: r50k_base or huggingface. */
    public static final String SOURCE_KEY = "source";

    /** Key of {@link #describe()} that fingerprints the vocabulary, so a rebuild cannot silently differ. */
    public static final String VOCAB_SHA256_KEY = "vocab_sha256";

    static final String R50K_SOURCE = "r50k_base";
    static final String HUGGING_FACE_SOURCE = "huggingface";
    static final String LEARNED_SOURCE = "learned";

    /**
     * Key of {@link #describe()} holding the merges, one "left right" per line, of a learned
     * tokenizer and of one read from Hugging Face files that is not GPT-2's.
     */
    public static final String MERGES_KEY = "merges";

    /**
     * Key of {@link #describe()} holding, for a tokenizer read from Hugging Face files that is not
     * GPT-2's, its tokens by id as a JSON array: a checkpoint then rebuilds it without the files.
     */
    public static final String VOCAB_KEY = "vocab";

    private static final ObjectMapper JSON = new ObjectMapper();

    // UNICODE_CHARACTER_CLASS makes \s match all Unicode white space, as in tiktoken's regex engine.
    static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    private final BpeTables tables;
    private final BytePairEncoder encoder;
    private final String source;
    private final int eosId;

    private Gpt2Tokenizer(BpeTables tables, String source) {
        this.tables = tables;
        this.encoder = new BytePairEncoder(tables);
        this.source = source;
        Integer endOfText = tables.vocab().get(END_OF_TEXT);
        if (endOfText == null) {
            throw new TokenizerFileException(
                    tables.source() + ": expected the token " + END_OF_TEXT + " in the vocabulary, but it is missing");
        }
        this.eosId = endOfText;
    }

    /** GPT-2's tokenizer from JTokkit's r50k_base ranks; built once (a few hundred milliseconds), then shared. */
    public static Gpt2Tokenizer r50kBase() {
        return R50kHolder.INSTANCE;
    }

    /**
     * The tokenizer in a Hugging Face model directory: {@code vocab.json} and {@code merges.txt}
     * if both are there, otherwise {@code tokenizer.json}.
     *
     * @throws TokenizerFileException if the files are missing or malformed
     */
    public static Gpt2Tokenizer fromHuggingFace(Path directory) {
        return new Gpt2Tokenizer(HuggingFaceFiles.readDirectory(directory), HUGGING_FACE_SOURCE);
    }

    /** The tokenizer in a {@code vocab.json} and {@code merges.txt} pair. */
    public static Gpt2Tokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) {
        return new Gpt2Tokenizer(HuggingFaceFiles.readVocabAndMerges(vocabJson, mergesTxt), HUGGING_FACE_SOURCE);
    }

    /** The tokenizer in a {@code tokenizer.json}; merges may be {@code "a b"} strings or {@code ["a", "b"]}. */
    public static Gpt2Tokenizer fromTokenizerJson(Path tokenizerJson) {
        return new Gpt2Tokenizer(HuggingFaceFiles.readTokenizerJson(tokenizerJson), HUGGING_FACE_SOURCE);
    }

    /**
     * A byte-level BPE of at most {@code vocabSize} tokens learned from {@code texts}, with
     * {@code <|endoftext|>} as its last token; the same texts always give the same tokenizer.
     */
    public static Gpt2Tokenizer learn(Iterable<String> texts, int vocabSize) {
        return new Gpt2Tokenizer(BpeTrainer.learn(texts, vocabSize, END_OF_TEXT), LEARNED_SOURCE);
    }

    /**
     * Rebuilds a learned tokenizer from the merges in its description, and GPT-2's own from
     * a description as r50k_base, whatever source wrote it: GPT-2's own files give the
     * same ids. A description of another vocabulary is refused (by its size or fingerprint), since
     * only its files can rebuild it.
     */
    static Gpt2Tokenizer fromDescription(Map<String, String> description) {
        if (LEARNED_SOURCE.equals(description.get(SOURCE_KEY))) {
            return learnedFromDescription(description);
        }
        if (description.containsKey(VOCAB_KEY)) {
            return listedFromDescription(description);
        }
        Gpt2Tokenizer r50k = r50kBase();
        String fingerprint = description.get(VOCAB_SHA256_KEY);
        if (fingerprint != null && !fingerprint.equals(r50k.vocabSha256())) {
            throw new IllegalArgumentException("expected GPT-2's vocabulary (" + VOCAB_SHA256_KEY + "="
                    + r50k.vocabSha256() + "), but the description is of another one: " + description
                    + "; load it from its files with Gpt2Tokenizer.fromHuggingFace");
        }
        return r50k;
    }

    private static Gpt2Tokenizer listedFromDescription(Map<String, String> description) {
        List<String> tokens;
        try {
            tokens = List.of(JSON.readValue(description.get(VOCAB_KEY), String[].class));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the description's '" + VOCAB_KEY
                    + "' is not a JSON array of tokens: " + e.getOriginalMessage());
        }
        String merges = description.getOrDefault(MERGES_KEY, "");
        List<String> lines = merges.isEmpty() ? List.of() : List.of(merges.split("\n", -1));
        Gpt2Tokenizer rebuilt = new Gpt2Tokenizer(HuggingFaceFiles.fromLists(
                "the checkpoint's tokenizer", tokens, lines), HUGGING_FACE_SOURCE);
        String fingerprint = description.get(VOCAB_SHA256_KEY);
        if (fingerprint != null && !fingerprint.equals(rebuilt.vocabSha256())) {
            throw new IllegalArgumentException("expected the vocabulary " + VOCAB_SHA256_KEY + "="
                    + fingerprint + " from the description, but it gives " + rebuilt.vocabSha256());
        }
        return rebuilt;
    }

    private static Gpt2Tokenizer learnedFromDescription(Map<String, String> description) {
        String merges = description.get(MERGES_KEY);
        if (merges == null) {
            throw new IllegalArgumentException("expected the key '" + MERGES_KEY + "' in the description of a "
                    + "learned tokenizer, got the keys " + description.keySet());
        }
        List<String> lines = merges.isEmpty() ? List.of() : List.of(merges.split("\n", -1));
        Gpt2Tokenizer rebuilt = new Gpt2Tokenizer(BpeTrainer.replay(lines, END_OF_TEXT), LEARNED_SOURCE);
        String fingerprint = description.get(VOCAB_SHA256_KEY);
        if (fingerprint != null && !fingerprint.equals(rebuilt.vocabSha256())) {
            throw new IllegalArgumentException("expected the vocabulary " + VOCAB_SHA256_KEY + "=" + fingerprint
                    + " from the description's merges, but replaying them gives " + rebuilt.vocabSha256());
        }
        return rebuilt;
    }

    /** Writes this tokenizer as Hugging Face's {@code vocab.json} and {@code merges.txt} into the directory. */
    public void writeVocabAndMerges(Path directory) {
        HuggingFaceFiles.writeVocabAndMerges(tables, directory);
    }

    @Override
    public int[] encode(String text) {
        IdBuffer ids = new IdBuffer(text.length() / 3);
        Matcher piece = PRE_TOKENIZER.matcher(text);
        while (piece.find()) {
            encoder.encodePiece(piece.group().getBytes(StandardCharsets.UTF_8), ids);
        }
        return ids.toArray();
    }

    @Override
    public String decode(int[] ids, int from, int to, Specials specials) {
        Objects.checkFromToIndex(from, to, ids.length);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4 * (to - from));
        for (int i = from; i < to; i++) {
            if (specials == Specials.SKIP && ids[i] == eosId) {
                continue;
            }
            bytes.writeBytes(encoder.bytesOf(ids[i]));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] bytes(int[] ids, int from, int to) {
        Objects.checkFromToIndex(from, to, ids.length);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(4 * (to - from));
        for (int i = from; i < to; i++) {
            if (ids[i] != eosId) {
                bytes.writeBytes(encoder.bytesOf(ids[i]));
            }
        }
        return bytes.toByteArray();
    }

    @Override
    public int vocabSize() {
        return encoder.vocabSize();
    }

    @Override
    public int eosId() {
        return eosId;
    }

    /** Same as {@link #eosId()}, as in Hugging Face's GPT-2: padding is masked out anyway. */
    @Override
    public int padId() {
        return eosId;
    }

    @Override
    public String name() {
        return KIND;
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return Map.of(END_OF_TEXT, eosId);
    }

    @Override
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(KIND_KEY, KIND);
        d.put(SOURCE_KEY, source);
        d.put(VOCAB_SIZE_KEY, Integer.toString(vocabSize()));
        d.put(VOCAB_SHA256_KEY, vocabSha256());
        boolean notGpt2s = HUGGING_FACE_SOURCE.equals(source)
                && !vocabSha256().equals(r50kBase().vocabSha256());
        if (LEARNED_SOURCE.equals(source) || notGpt2s) {
            String[] tokens = tables.tokensById();
            StringJoiner lines = new StringJoiner("\n");
            for (BpeTables.Merge merge : tables.merges()) {
                lines.add(tokens[merge.left()] + " " + tokens[merge.right()]);
            }
            d.put(MERGES_KEY, lines.toString());
            if (notGpt2s) {
                try {
                    d.put(VOCAB_KEY, JSON.writeValueAsString(tokens));
                } catch (JsonProcessingException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return Collections.unmodifiableMap(d);
    }

    @Override
    public String toString() {
        return "Gpt2Tokenizer[" + source + ", " + vocabSize() + " tokens]";
    }

    // Over the token texts in id order: it pins which vocabulary a checkpoint's ids index into.
    private String vocabSha256() {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            for (String token : tables.tokensById()) {
                sha256.update(token.getBytes(StandardCharsets.UTF_8));
                sha256.update((byte) 0);
            }
            return HexFormat.of().formatHex(sha256.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static final class R50kHolder {
        static final Gpt2Tokenizer INSTANCE =
                new Gpt2Tokenizer(TiktokenRanks.r50kBase(END_OF_TEXT), R50K_SOURCE);
    }
}
