package org.rlhf4j.tasks.data;

import java.util.Objects;

/**
 * One supervised fine-tuning example: a prompt and the completion to learn, in TRL's standard
 * prompt-completion format {@code {"prompt": ..., "completion": ...}} or language-modeling format
 * {@code {"text": ...}}.
 *
 * <p>A whole text is held as {@code prompt = ""} and {@code completion = text}, with
 * {@link #wholeText()} set. Training code therefore sees one shape: the loss covers the completion
 * tokens, which for a whole text is every token, as in TRL (completion-only loss for
 * prompt-completion data, loss on all tokens for plain text). The flag exists only so that the
 * writer gives back the format that was read: {@code {"text"}} stays {@code {"text"}}.
 *
 * @param prompt the conditioning text, not trained on; may be empty; empty for a whole text
 * @param completion the text to learn; never empty
 * @param wholeText whether this came from, and is written as, {@code {"text": ...}}
 */
public record SftExample(String prompt, String completion, boolean wholeText) {

    public SftExample {
        Objects.requireNonNull(prompt, "prompt");
        if (wholeText) {
            TextField.check("text", completion, false);
            if (!prompt.isEmpty()) {
                throw new IllegalArgumentException(
                        "a whole-text example has an empty prompt, got a prompt of " + prompt.length() + " characters");
            }
        } else {
            TextField.check("prompt", prompt, true);
            TextField.check("completion", completion, false);
        }
    }

    /** A prompt-completion example, {@code {"prompt": prompt, "completion": completion}}. */
    public static SftExample of(String prompt, String completion) {
        return new SftExample(prompt, completion, false);
    }

    /** A whole-text example, {@code {"text": text}}: an empty prompt and {@code text} as the completion. */
    public static SftExample ofText(String text) {
        return new SftExample("", text, true);
    }

    /** The prompt followed by the completion: the whole sequence a model is trained on. */
    public String text() {
        return prompt + completion;
    }
}
