package org.rlhf4j.tasks.sentiment;

import java.util.List;

/**
 * The built-in {@value #NAME} task, a miniature of the DPO paper's controlled sentiment generation:
 * complete a prompt so that the whole text is as positive as VADER can tell.
 *
 * <p>Parts: {@link WordNetCorpus} (WordNet 3.1 usage examples, split train/held-out),
 * {@link SentimentPrompts} (their first words), {@link VaderLabeler} (gold reward) and
 * {@link SimulatedHuman} (Bradley-Terry preferences on the gold reward). Everything is loaded once
 * per JVM and shared; all lists are immutable.
 */
public final class SentimentTask {

    /** The task's name, as the command line and configuration spell it. */
    public static final String NAME = "sentiment";

    private static final SentimentTask INSTANCE = new SentimentTask();

    private SentimentTask() {
    }

    /** The task; its corpus and lexicon load on first use of the methods below. */
    public static SentimentTask get() {
        return INSTANCE;
    }

    /** Whole texts for supervised fine-tuning: the train part of the corpus. */
    public List<String> trainTexts() {
        return WordNetCorpus.get().train();
    }

    /** Held-out whole texts: SFT validation, and references for evaluating completions. */
    public List<String> heldOutTexts() {
        return WordNetCorpus.get().heldOut();
    }

    /** Prompts for RL (PPO rollouts, DPO sampling), from the train part. */
    public List<String> trainPrompts() {
        return SentimentPrompts.train();
    }

    /** Prompts for evaluation (gold reward, KL, win rate), from the held-out part. */
    public List<String> evalPrompts() {
        return SentimentPrompts.heldOut();
    }

    /** The gold labeler: VADER's compound score, in [-1, 1]. */
    public Labeler labeler() {
        return VaderLabeler.get();
    }

    /** A simulated human judging by the gold labeler, with the given Bradley-Terry temperature and seed. */
    public SimulatedHuman human(double temperature, long seed) {
        return new SimulatedHuman(labeler(), temperature, seed);
    }
}
