package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * {@code {"prompt"}}. The response fields of the SFT and preference formats are also accepted and
 * ignored, so the prompts of those files can be reused for PPO, as is common; a file with
 * {@code {"text"}} lines or implicit prompts still fails, since it has no separate prompt.
 */
final class PromptFormat implements ExampleFormat<PromptExample> {

    static final String PROMPT = "prompt";

    private static final List<String> FIELDS = List.of(PROMPT, "completion", "chosen", "rejected", "margin");

    @Override
    public String kind() {
        return "prompts";
    }

    @Override
    public List<String> fields() {
        return FIELDS;
    }

    @Override
    public String standardShape() {
        return "{\"prompt\": \"...\"}";
    }

    @Override
    public PromptExample read(JsonLine line) {
        String prompt = line.string(PROMPT);
        return line.build(() -> new PromptExample(prompt));
    }

    @Override
    public void write(PromptExample example, ObjectNode json) {
        json.put(PROMPT, example.prompt());
    }
}
