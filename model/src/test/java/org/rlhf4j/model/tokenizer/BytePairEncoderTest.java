package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The queue-based merge for long pieces against the pass-by-pass reference it replaces. */
class BytePairEncoderTest {

    private static BytePairEncoder gpt2;

    @BeforeAll
    static void buildGpt2Encoder() {
        gpt2 = new BytePairEncoder(TiktokenRanks.r50kBase(Gpt2Tokenizer.END_OF_TEXT));
    }

    @Test
    void queueAndPassesAgreeOnRandomGpt2Pieces() {
        Random random = new Random(3);
        String[] alphabets = {"abcdefghijklmnopqrstuvwxyz", "ab", "0123456789", " ", "ab \n", "\u00e9\u4e2d\ud83d\ude00x"};
        for (int i = 0; i < 600; i++) {
            String alphabet = alphabets[i % alphabets.length];
            int[] codePoints = alphabet.codePoints().toArray();
            StringBuilder piece = new StringBuilder();
            for (int j = random.nextInt(300); j > 0; j--) {
                piece.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
            }
            assertSameMerges(gpt2, piece.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void queueAndPassesAgreeOnRandomBytes() {
        Random random = new Random(5);
        for (int i = 0; i < 300; i++) {
            byte[] piece = new byte[random.nextInt(200)];
            random.nextBytes(piece);
            assertSameMerges(gpt2, piece);
        }
    }

    @Test
    void longPiecesGiveJtokkitsIds() {
        Gpt2Tokenizer r50k = Gpt2Tokenizer.r50kBase();
        Encoding jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        Random random = new Random(9);
        for (int length : new int[] {BytePairEncoder.LONG_PIECE + 1, 500, 5000, 20000}) {
            StringBuilder letters = new StringBuilder();
            for (int j = 0; j < length; j++) {
                letters.append((char) ('a' + random.nextInt(26)));
            }
            String text = letters.toString();
            assertArrayEquals(jtokkit.encodeOrdinary(text).toArray(), r50k.encode(text), "length " + length);
        }
    }

    /**
     * Tables no trainer would produce: "ab a" outranks "a b", which creates its left part. One pass
     * of "a b" over "abab" must merge both occurrences before "ab a" may fire, giving [ab, ab]
     * rather than [aba, b].
     */
    @Test
    void aBatchFinishesItsRankEvenWhenItCreatesABetterRankedPair() {
        Map<String, Integer> vocab = TinyBpeFiles.vocab();
        int ab = vocab.size();
        int aba = ab + 1;
        vocab.put("ab", ab);
        vocab.put("aba", aba);
        BpeTables tables = new BpeTables("hand-made", vocab,
                List.of(new BpeTables.Merge(ab, 'a', aba), new BpeTables.Merge('a', 'b', ab)));
        BytePairEncoder encoder = new BytePairEncoder(tables);

        byte[] abab = "abab".getBytes(StandardCharsets.US_ASCII);
        int[] byPasses = encoder.byteIds(abab);
        int[] byQueue = encoder.byteIds(abab);
        assertEquals(2, encoder.mergeByPasses(byPasses));
        assertEquals(2, encoder.mergeByQueue(byQueue));
        assertArrayEquals(new int[] {ab, ab}, Arrays.copyOf(byPasses, 2));
        assertArrayEquals(new int[] {ab, ab}, Arrays.copyOf(byQueue, 2));

        Random random = new Random(13);
        for (int i = 0; i < 300; i++) {
            byte[] piece = new byte[random.nextInt(40)];
            for (int j = 0; j < piece.length; j++) {
                piece[j] = (byte) (random.nextBoolean() ? 'a' : 'b');
            }
            assertSameMerges(encoder, piece);
        }
    }

    private static void assertSameMerges(BytePairEncoder encoder, byte[] piece) {
        int[] byPasses = encoder.byteIds(piece);
        int[] byQueue = encoder.byteIds(piece);
        int passesLength = encoder.mergeByPasses(byPasses);
        int queueLength = encoder.mergeByQueue(byQueue);
        assertArrayEquals(Arrays.copyOf(byPasses, passesLength), Arrays.copyOf(byQueue, queueLength),
                () -> "piece: " + new String(piece, StandardCharsets.UTF_8));
    }
}
