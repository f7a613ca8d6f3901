package org.rlhf4j.tasks.data;

import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One ranked comparison for reward modeling or DPO, in TRL's standard preference format
 * {@code {"prompt": ..., "chosen": ..., "rejected": ...}}: two responses to one prompt, the first
 * preferred.
 *
 * <p>An empty prompt stands for TRL's implicit-prompt format {@code {"chosen", "rejected"}} (as in
 * Anthropic's hh-rlhf), where each response repeats the prompt. Scoring the whole sequences gives the
 * same reward-model and DPO losses as splitting off the shared prefix, because the prefix's
 * log-probability cancels between chosen and rejected.
 *
 * @param prompt the conditioning text; may be empty (implicit prompt)
 * @param chosen the preferred response; never empty
 * @param rejected the other response; never empty
 * @param margin how much better {@code chosen} is, subtracted inside the reward-model loss
 *     {@code -log σ(r_chosen - r_rejected - margin)} as TRL's reward trainer does; empty if not given
 */
public record PreferenceExample(String prompt, String chosen, String rejected, OptionalDouble margin) {

    public PreferenceExample {
        TextField.check("prompt", prompt, true);
        TextField.check("chosen", chosen, false);
        TextField.check("rejected", rejected, false);
        Objects.requireNonNull(margin, "margin");
        if (margin.isPresent() && !Double.isFinite(margin.getAsDouble())) {
            throw new IllegalArgumentException("field \"margin\": expected a finite number, got " + margin.getAsDouble());
        }
    }

    /** A comparison without a margin. */
    public PreferenceExample(String prompt, String chosen, String rejected) {
        this(prompt, chosen, rejected, OptionalDouble.empty());
    }
}
