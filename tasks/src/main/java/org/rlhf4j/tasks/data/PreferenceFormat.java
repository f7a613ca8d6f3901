package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.OptionalDouble;

/**
 * {@code {"prompt", "chosen", "rejected"}} with an optional number {@code "margin"}; without
 * {@code "prompt"} it is TRL's implicit-prompt format and the prompt is empty (see
 * {@link PreferenceExample}).
 */
final class PreferenceFormat implements ExampleFormat<PreferenceExample> {

    static final String PROMPT = "prompt";
    static final String CHOSEN = "chosen";
    static final String REJECTED = "rejected";
    static final String MARGIN = "margin";

    private static final List<String> FIELDS = List.of(PROMPT, CHOSEN, REJECTED, MARGIN);

    @Override
    public String kind() {
        return "preference examples";
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    @Override
    public String standardShape() {
        return "{\"prompt\": \"...\", \"chosen\": \"...\", \"rejected\": \"...\"}";
    }

    @Override
    public PreferenceExample read(JsonLine line) {
        String prompt = line.has(PROMPT) ? line.string(PROMPT) : "";
        String chosen = line.string(CHOSEN);
        String rejected = line.string(REJECTED);
        OptionalDouble margin = line.optionalNumber(MARGIN);
        return line.build(() -> new PreferenceExample(prompt, chosen, rejected, margin));
    }

    @Override
    public void write(PreferenceExample example, ObjectNode json) {
        json.put(PROMPT, example.prompt());
        json.put(CHOSEN, example.chosen());
        json.put(REJECTED, example.rejected());
        if (example.margin().isPresent()) {
            json.put(MARGIN, example.margin().getAsDouble());
        }
    }
}
