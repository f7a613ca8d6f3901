package org.rlhf4j.tasks.data;

import java.util.Objects;

/** The checks every text field of an example passes: present, non-empty where required, valid Unicode. */
final class TextField {

    private TextField() {
    }

    /**
     * Returns {@code value} if it is a valid text for field {@code name}.
     *
     * <p>An unpaired surrogate can reach a Java string through a JSON escape such as
     * {@code "\ud800"}; it is not a character, cannot be written as UTF-8, and a tokenizer would
     * silently turn it into {@code '?'}, so it is rejected here.
     *
     * @throws IllegalArgumentException {@code field "name": expected ..., got ...}
     */
    static String check(String name, String value, boolean emptyAllowed) {
        Objects.requireNonNull(value, name);
        if (!emptyAllowed && value.isEmpty()) {
            throw new IllegalArgumentException("field \"" + name + "\": expected a non-empty string, got \"\"");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(String.format(
                        "field \"%s\": expected valid Unicode text, got an unpaired surrogate \\u%04x at character %d",
                        name, (int) c, i + 1));
            }
        }
        return value;
    }
}
