package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SimulatedHumanTest {

    /** Fixed scores, so the Bradley-Terry probabilities are known exactly. */
    private static final Map<String, Double> SCORES = Map.of("great", 0.8, "fine", 0.3, "meh", 0.0, "awful", -0.9);
    private static final Labeler FIXED = SCORES::get;

    @Test
    void choicesFollowTheSigmoidOfTheScoreGapOverTheTemperature() {
        int draws = 20_000;
        String[][] pairs = {{"great", "fine"}, {"fine", "great"}, {"meh", "awful"}, {"great", "awful"}, {"meh", "meh"}};
        for (double temperature : new double[] {0.1, 0.5, 2.0}) {
            SimulatedHuman human = new SimulatedHuman(FIXED, temperature, 42);
            for (String[] pair : pairs) {
                double p = 1 / (1 + Math.exp(-(SCORES.get(pair[0]) - SCORES.get(pair[1])) / temperature));
                assertEquals(p, human.probabilityFirstPreferred(pair[0], pair[1]), 1e-12);
                int first = 0;
                for (int i = 0; i < draws; i++) {
                    first += human.prefersFirst(pair[0], pair[1]) ? 1 : 0;
                }
                double frequency = first / (double) draws;
                // five standard errors, plus one draw for probabilities near 0 or 1
                double bound = 5 * Math.sqrt(p * (1 - p) / draws) + 1.0 / draws;
                assertTrue(Math.abs(frequency - p) <= bound,
                        "T=" + temperature + " " + pair[0] + ">" + pair[1] + ": " + frequency + " vs " + p);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameChoices() {
        assertEquals(choices(new SimulatedHuman(FIXED, 0.5, 7)), choices(new SimulatedHuman(FIXED, 0.5, 7)));
    }

    @Test
    void anotherSeedGivesOtherChoices() {
        assertNotEquals(choices(new SimulatedHuman(FIXED, 0.5, 7)), choices(new SimulatedHuman(FIXED, 0.5, 8)));
    }

    @Test
    void equalScoresAreACoinFlipAndTheTwoOrdersAddUpToOne() {
        assertEquals(0.5, SimulatedHuman.preferenceProbability(0.3, 0.3, 0.1));
        double ab = SimulatedHuman.preferenceProbability(0.8, -0.9, 0.2);
        double ba = SimulatedHuman.preferenceProbability(-0.9, 0.8, 0.2);
        assertEquals(1.0, ab + ba, 1e-15);
        assertEquals(1.0, SimulatedHuman.preferenceProbability(1, -1, 1e-6));
        assertEquals(0.0, SimulatedHuman.preferenceProbability(-1, 1, 1e-6));
    }

    @Test
    void aChoiceNamesTheChosenTextAndItsProbability() {
        SimulatedHuman human = new SimulatedHuman(FIXED, 0.3, 1);
        double p = human.probabilityFirstPreferred("great", "awful");
        for (int i = 0; i < 100; i++) {
            SimulatedHuman.Choice choice = human.choose("great", "awful");
            if (choice.chosen().equals("great")) {
                assertEquals(new SimulatedHuman.Choice("great", "awful", p), choice);
            } else {
                assertEquals(new SimulatedHuman.Choice("awful", "great", 1 - p), choice);
            }
        }
    }

    @Test
    void theGoldLabelerMakesPositiveTextsPreferred() {
        SimulatedHuman human = SentimentTask.get().human(0.1, 3);
        assertTrue(human.probabilityFirstPreferred("the film was wonderful and moving", "the film was dull and bad") > 0.999);
    }

    @Test
    void aTemperatureThatIsNotPositiveAndFiniteIsRejected() {
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SimulatedHuman(FIXED, bad, 1));
            assertEquals("temperature must be a finite number > 0, got " + bad, e.getMessage());
        }
    }

    private static List<Boolean> choices(SimulatedHuman human) {
        List<Boolean> out = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            out.add(human.prefersFirst("fine", "meh"));
        }
        return out;
    }
}
