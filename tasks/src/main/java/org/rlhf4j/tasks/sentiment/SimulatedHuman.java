package org.rlhf4j.tasks.sentiment;

import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A simulated annotator that prefers one of two texts by the Bradley-Terry model on gold scores:
 * {@code P(a preferred over b) = sigmoid((score(a) - score(b)) / temperature)}.
 *
 * <p>The temperature sets how noisy the annotator is: near 0 it almost always picks the higher
 * score; large, it picks almost at random. With VADER's compound scores (in [-1, 1]) a temperature
 * of 0.1 turns a score gap of 0.2 into a 88% preference, 0.5 into 99.3%.
 *
 * <p>The draws come from a {@link SplittableRandom} seeded with {@link #seed()}: the same seed and
 * the same sequence of calls give the same choices on any JVM. Draws are serialized (those of
 * concurrent callers interleave in no fixed order); use one instance per thread or actor for
 * reproducible runs.
 */
public final class SimulatedHuman {

    /** One judgement: which text was chosen, which rejected, and how likely that choice was. */
    public record Choice(String chosen, String rejected, double probability) {
    }

    private final Labeler labeler;
    private final double temperature;
    private final long seed;
    private final SplittableRandom random;

    /**
     * An annotator judging by {@code labeler}'s scores.
     *
     * @throws IllegalArgumentException if {@code temperature} is not a finite number greater than 0
     */
    public SimulatedHuman(Labeler labeler, double temperature, long seed) {
        this.labeler = Objects.requireNonNull(labeler, "labeler");
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number > 0, got " + temperature);
        }
        this.temperature = temperature;
        this.seed = seed;
        this.random = new SplittableRandom(seed);
    }

    /** The Bradley-Terry probability that a text scored {@code scoreA} is preferred to one scored {@code scoreB}. */
    public static double preferenceProbability(double scoreA, double scoreB, double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number > 0, got " + temperature);
        }
        if (Double.isNaN(scoreA) || Double.isNaN(scoreB)) {
            throw new IllegalArgumentException("scores must be numbers, got " + scoreA + " and " + scoreB);
        }
        return sigmoid((scoreA - scoreB) / temperature);
    }

    /** The probability that this annotator prefers {@code a} to {@code b}. */
    public double probabilityFirstPreferred(String a, String b) {
        return preferenceProbability(labeler.score(a), labeler.score(b), temperature);
    }

    /** Draws one judgement: {@code true} if {@code a} is preferred to {@code b}. */
    public boolean prefersFirst(String a, String b) {
        return draw() < probabilityFirstPreferred(a, b);
    }

    /** Draws one judgement between {@code a} and {@code b}. */
    public Choice choose(String a, String b) {
        double p = probabilityFirstPreferred(a, b);
        return draw() < p ? new Choice(a, b, p) : new Choice(b, a, 1 - p);
    }

    /** The judge of the texts. */
    public Labeler labeler() {
        return labeler;
    }

    /** The Bradley-Terry temperature, greater than 0. */
    public double temperature() {
        return temperature;
    }

    /** The seed of the draws. */
    public long seed() {
        return seed;
    }

    private synchronized double draw() {
        return random.nextDouble();
    }

    private static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }
}
