package org.rlhf4j.tasks.sentiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SentimentTaskTest {

    private final SentimentTask task = SentimentTask.get();

    @Test
    void thePartsComeFromTheCorpusPromptsAndVader() {
        assertEquals("sentiment", SentimentTask.NAME);
        assertSame(WordNetCorpus.get().train(), task.trainTexts());
        assertSame(WordNetCorpus.get().heldOut(), task.heldOutTexts());
        assertSame(SentimentPrompts.train(), task.trainPrompts());
        assertSame(SentimentPrompts.heldOut(), task.evalPrompts());
        assertSame(VaderLabeler.get(), task.labeler());
    }

    @Test
    void theLabelerTellsPositiveFromNegativeCorpusText() {
        assertTrue(task.labeler().score("she was a generous and loving friend") > 0.5);
        assertTrue(task.labeler().score("the war left a bitter and hateful legacy") < -0.5);
    }

    @Test
    void theHumanUsesTheGivenTemperatureAndSeed() {
        SimulatedHuman human = task.human(0.25, 99);
        assertEquals(0.25, human.temperature());
        assertEquals(99, human.seed());
        assertSame(task.labeler(), human.labeler());
    }
}
