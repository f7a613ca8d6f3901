package org.rlhf4j.tasks.data;

/**
 * One prompt to sample responses from during PPO, in TRL's standard prompt-only format
 * {@code {"prompt": ...}}.
 *
 * @param prompt the text the policy continues; never empty, since a rollout needs something to
 *     condition on
 */
public record PromptExample(String prompt) {

    public PromptExample {
        TextField.check("prompt", prompt, false);
    }
}
