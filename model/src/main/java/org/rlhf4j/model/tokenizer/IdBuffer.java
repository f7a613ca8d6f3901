package org.rlhf4j.model.tokenizer;

import java.util.Arrays;

/** A growable run of token ids, so encoding does not box every id into an Integer. */
final class IdBuffer {

    private int[] ids;
    private int size;

    IdBuffer(int expectedSize) {
        ids = new int[Math.max(8, expectedSize)];
    }

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, ids.length * 2);
        }
        ids[size++] = id;
    }

    void addAll(int[] more) {
        for (int id : more) {
            add(id);
        }
    }

    void clear() {
        size = 0;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
