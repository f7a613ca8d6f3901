package org.rlhf4j.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelAlphabetTest {

    @Test
    void printableBytesStandForThemselves() {
        assertEquals('!', ByteLevelAlphabet.charOf('!'));
        assertEquals('A', ByteLevelAlphabet.charOf('A'));
        assertEquals('~', ByteLevelAlphabet.charOf('~'));
        assertEquals('\u00a1', ByteLevelAlphabet.charOf(0xA1));
        assertEquals('\u00ff', ByteLevelAlphabet.charOf(0xFF));
    }

    @Test
    void otherBytesAreShiftedPast255InByteOrder() {
        assertEquals('\u0100', ByteLevelAlphabet.charOf(0x00));
        assertEquals('\u010a', ByteLevelAlphabet.charOf('\n')); // 'Ċ'
        assertEquals('\u0120', ByteLevelAlphabet.charOf(' ')); // 'Ġ'
        assertEquals('\u0121', ByteLevelAlphabet.charOf(0x7F));
        assertEquals('\u0142', ByteLevelAlphabet.charOf(0xA0));
        assertEquals('\u0143', ByteLevelAlphabet.charOf(0xAD));
    }

    @Test
    void everyByteHasItsOwnCharacterAndComesBack() {
        byte[] all = new byte[256];
        Set<Character> seen = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            all[b] = (byte) b;
            seen.add(ByteLevelAlphabet.charOf(b));
        }
        assertEquals(256, seen.size());
        assertArrayEquals(all, ByteLevelAlphabet.bytesOf(ByteLevelAlphabet.textOf(all)));
    }

    @Test
    void aCharacterOutsideTheAlphabetIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ByteLevelAlphabet.bytesOf("\u0144"));
        assertThrows(IllegalArgumentException.class, () -> ByteLevelAlphabet.bytesOf("\u4e2d"));
    }
}
