package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

    private static final int EOS = ByteTokenizer.EOS;
    private static final int PAD = ByteTokenizer.PAD;
    private static final int BOS = ByteTokenizer.BOS;
    private static final int SEP = ByteTokenizer.SEP;

    private final ByteTokenizer tokenizer = new ByteTokenizer();

    @Test
    void idsAreTheUtf8BytesOfTheText() {
        int[] expected = {'a', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80};
        assertArrayEquals(expected, tokenizer.encode("a\u00e9\u20ac\ud83d\ude00"));
    }

    @Test
    void specialIdsAndVocabSizeAreFixed() {
        assertEquals(256, tokenizer.eosId());
        assertEquals(257, tokenizer.padId());
        assertEquals(258, tokenizer.bosId());
        assertEquals(259, tokenizer.sepId());
        assertEquals(260, tokenizer.vocabSize());
        assertEquals("byte", tokenizer.name());
    }

    @Test
    void everyCorpusTextSurvivesARoundTrip() {
        for (String text : TokenizerTestTexts.all()) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text)), () -> "text: " + text);
        }
    }

    @Test
    void randomTextsOverAllOfUnicodeSurviveARoundTrip() {
        Random random = new Random(7);
        for (int i = 0; i < 1000; i++) {
            StringBuilder text = new StringBuilder();
            for (int j = random.nextInt(30); j > 0; j--) {
                int codePoint = random.nextInt(Character.MAX_CODE_POINT + 1);
                if (codePoint < Character.MIN_SURROGATE || codePoint > Character.MAX_SURROGATE) {
                    text.appendCodePoint(codePoint);
                }
            }
            String expected = text.toString();
            assertEquals(expected, tokenizer.decode(tokenizer.encode(expected)));
        }
    }

    @Test
    void specialTokensAreRenderedByName() {
        int[] ids = {BOS, 'h', 'i', SEP, 'y', 'o', EOS};
        assertEquals("<|bos|>hi<|sep|>yo<|endoftext|>", tokenizer.decode(ids));
    }

    @Test
    void padIsLeftOutEvenWhenSpecialsAreRendered() {
        int[] ids = {PAD, 'h', PAD, 'i', EOS, PAD, PAD};
        assertEquals("hi<|endoftext|>", tokenizer.decode(ids));
    }

    @Test
    void skippingSpecialsLeavesOnlyTheText() {
        int[] ids = {BOS, 'h', 'i', SEP, 'y', 'o', EOS, PAD};
        assertEquals("hiyo", tokenizer.decode(ids, 0, ids.length, Tokenizer.Specials.SKIP));
    }

    @Test
    void bytesKeepACharacterCutShortWhereDecodeWritesReplacement() {
        int[] ids = {BOS, 'a', 0xC3, EOS, PAD};
        assertArrayEquals(new byte[] {'a', (byte) 0xC3}, tokenizer.bytes(ids, 0, ids.length));
        assertEquals("a\uFFFD", tokenizer.decode(ids, 0, ids.length, Tokenizer.Specials.SKIP));
        assertArrayEquals(new byte[] {(byte) 0xC3}, tokenizer.bytes(ids, 2, 3));
    }

    @Test
    void decodeReadsOnlyTheRequestedRange() {
        int[] ids = {'a', 'b', 'c', 'd'};
        assertEquals("bc", tokenizer.decode(ids, 1, 3));
        assertEquals("", tokenizer.decode(ids, 2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> tokenizer.decode(ids, 3, 5));
    }

    @Test
    void invalidUtf8BecomesReplacementCharacters() {
        assertEquals("\ufffd", tokenizer.decode(new int[] {0xFF}));
        assertEquals("a\ufffd", tokenizer.decode(new int[] {'a', 0xC3}));
        assertEquals("\ufffda", tokenizer.decode(new int[] {0xE2, 0x82, 'a'}));
        assertEquals("\ufffd\ufffd", tokenizer.decode(new int[] {0xC0, 0xAF}));
    }

    @Test
    void aSpecialTokenCutsOffACharacterInProgress() {
        int[] ids = {0xC3, EOS, 0xA9};
        assertEquals("\ufffd<|endoftext|>\ufffd", tokenizer.decode(ids));
    }

    @Test
    void padInsideACharacterDoesNotCutIt() {
        assertEquals("\u00e9", tokenizer.decode(new int[] {0xC3, PAD, 0xA9}));
    }

    @Test
    void randomBytesDecodeAsJavasUtf8DecoderDoes() {
        Random random = new Random(11);
        for (int i = 0; i < 1000; i++) {
            byte[] bytes = new byte[random.nextInt(20)];
            random.nextBytes(bytes);
            int[] ids = new int[bytes.length];
            for (int j = 0; j < bytes.length; j++) {
                ids[j] = bytes[j] & 0xFF;
            }
            assertEquals(new String(bytes, StandardCharsets.UTF_8), tokenizer.decode(ids));
        }
    }

    @Test
    void specialNamesInsideTextAreEncodedAsPlainBytes() {
        int[] ids = tokenizer.encode("<|endoftext|><|sep|>");
        assertEquals("<|endoftext|><|sep|>".length(), ids.length);
        for (int id : ids) {
            assertTrue(id < 256, "special id " + id + " injected from plain text");
        }
    }

    @Test
    void encodeWithSpecialsTurnsSpecialNamesIntoTheirIds() {
        int[] expected = {BOS, 'a', SEP, 'b', EOS, PAD};
        assertArrayEquals(expected, tokenizer.encodeWithSpecials("<|bos|>a<|sep|>b<|endoftext|><|pad|>"));
    }

    @Test
    void aLoneSurrogateIsEncodedAsAQuestionMark() {
        assertArrayEquals(new int[] {'x', '?'}, tokenizer.encode("x\ud800"));
    }

    @Test
    void decodeRejectsAnIdOutsideTheVocabulary() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[] {'a', 260}));
        assertEquals("token id 260 at index 1 is outside the byte vocabulary of 260", e.getMessage());
    }
}
