package org.rlhf4j.model.tokenizer;

import com.knuddels.jtokkit.Encodings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2's BPE tables rebuilt from the r50k_base rank file inside JTokkit's jar.
 *
 * <p>JTokkit has no public accessor for its ranks, but ships them as tiktoken's resource file, one
 * {@code base64(bytes) rank} line per token, with ranks equal to GPT-2's ids. The file lists tokens
 * only; each token's merge rule is recovered the way tiktoken itself would build the token: BPE over
 * its bytes using only lower-ranked tokens stops at two parts, and those two parts are the rule.
 * Merge priority is the rank of the token a rule creates, which is also the order of GPT-2's merges.txt.
 */
final class TiktokenRanks {

    static final String R50K_BASE_RESOURCE = "/com/knuddels/jtokkit/r50k_base.tiktoken";

    private TiktokenRanks() {
    }

    /** GPT-2's vocabulary and merges, with {@code endOfText} given the id after the last rank (50256). */
    static BpeTables r50kBase(String endOfText) {
        String source = "jtokkit:" + R50K_BASE_RESOURCE;
        try (InputStream in = Encodings.class.getResourceAsStream(R50K_BASE_RESOURCE)) {
            if (in == null) {
                throw new TokenizerFileException(source + ": expected this resource in JTokkit's jar"
                        + " (com.knuddels:jtokkit 1.1.0), but it is not on the class path");
            }
            return read(in, source, endOfText);
        } catch (IOException e) {
            throw new TokenizerFileException(source + ": cannot be read: " + e, e);
        }
    }

    static BpeTables read(InputStream in, String source, String endOfText) throws IOException {
        // 1. token text by rank, in GPT-2's byte alphabet so it reads like vocab.json
        List<String> tokenOfRank = readTokens(in, source);
        Map<String, Integer> vocab = new HashMap<>(tokenOfRank.size() * 2);
        for (int rank = 0; rank < tokenOfRank.size(); rank++) {
            vocab.put(tokenOfRank.get(rank), rank);
        }
        // 2. the merge that creates each multi-byte token, in rank order
        List<BpeTables.Merge> merges = new ArrayList<>(tokenOfRank.size());
        for (int rank = 0; rank < tokenOfRank.size(); rank++) {
            String token = tokenOfRank.get(rank);
            if (token.length() > 1) {
                merges.add(mergeThatBuilds(token, rank, vocab, source));
            }
        }
        // 3. the end-of-text token, which is no merge's product
        vocab.put(endOfText, tokenOfRank.size());
        return new BpeTables(source, vocab, merges);
    }

    private static List<String> readTokens(InputStream in, String source) throws IOException {
        List<String> tokenOfRank = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            if (line.isEmpty()) {
                continue;
            }
            int expectedRank = tokenOfRank.size();
            String[] fields = line.split(" ", -1);
            try {
                if (fields.length != 2 || Integer.parseInt(fields[1]) != expectedRank) {
                    throw new IllegalArgumentException("wrong field count or rank");
                }
                tokenOfRank.add(ByteLevelAlphabet.textOf(Base64.getDecoder().decode(fields[0])));
            } catch (IllegalArgumentException e) {
                throw new TokenizerFileException(String.format("%s line %d: expected 'base64 %d', got '%s'",
                        source, expectedRank + 1, expectedRank, line), e);
            }
        }
        return tokenOfRank;
    }

    private static BpeTables.Merge mergeThatBuilds(String token, int rank, Map<String, Integer> vocab,
            String source) {
        List<String> parts = new ArrayList<>(token.length());
        for (int i = 0; i < token.length(); i++) {
            parts.add(token.substring(i, i + 1));
        }
        while (parts.size() > 2) {
            int bestAt = -1;
            int bestRank = rank; // only tokens that exist before this one may take part
            for (int i = 0; i + 1 < parts.size(); i++) {
                Integer pairRank = vocab.get(parts.get(i) + parts.get(i + 1));
                if (pairRank != null && pairRank < bestRank) {
                    bestRank = pairRank;
                    bestAt = i;
                }
            }
            if (bestAt < 0) {
                break;
            }
            parts.set(bestAt, parts.get(bestAt) + parts.remove(bestAt + 1));
        }
        Integer left = vocab.get(parts.get(0));
        Integer right = parts.size() == 2 ? vocab.get(parts.get(1)) : null;
        if (parts.size() != 2 || left == null || right == null) {
            throw new TokenizerFileException(String.format(
                    "%s line %d: expected token '%s' to be the merge of two lower-ranked tokens, but BPE leaves %s",
                    source, rank + 1, token, parts));
        }
        return new BpeTables.Merge(left, right, rank);
    }
}
