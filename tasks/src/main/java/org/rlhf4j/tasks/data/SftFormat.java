package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** {@code {"prompt", "completion"}} or {@code {"text"}}, one or the other on each line, never a mix. */
final class SftFormat implements ExampleFormat<SftExample> {

    static final String PROMPT = "prompt";
    static final String COMPLETION = "completion";
    static final String TEXT = "text";

    private static final List<String> FIELDS = List.of(PROMPT, COMPLETION, TEXT);

    @Override
    public String kind() {
        return "SFT examples";
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    @Override
    public String standardShape() {
        return "{\"prompt\": \"...\", \"completion\": \"...\"} or {\"text\": \"...\"}";
    }

    @Override
    public SftExample read(JsonLine line) {
        if (line.has(TEXT)) {
            for (String other : List.of(PROMPT, COMPLETION)) {
                if (line.has(other)) {
                    throw line.error("field \"text\" cannot be combined with \"" + other
                            + "\": a line is either {\"prompt\", \"completion\"} or {\"text\"}");
                }
            }
            String text = line.string(TEXT);
            return line.build(() -> SftExample.ofText(text));
        }
        if (!line.has(PROMPT) && !line.has(COMPLETION)) {
            throw line.error("missing field \"text\", or \"prompt\" and \"completion\"");
        }
        String prompt = line.string(PROMPT);
        String completion = line.string(COMPLETION);
        return line.build(() -> SftExample.of(prompt, completion));
    }

    @Override
    public void write(SftExample example, ObjectNode json) {
        if (example.wholeText()) {
            json.put(TEXT, example.completion());
        } else {
            json.put(PROMPT, example.prompt());
            json.put(COMPLETION, example.completion());
        }
    }
}
