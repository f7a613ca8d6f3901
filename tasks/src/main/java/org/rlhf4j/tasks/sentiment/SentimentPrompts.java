package org.rlhf4j.tasks.sentiment;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The sentiment task's prompts: the first few words of corpus examples, for the policy to complete.
 *
 * <p>An example's prompt is its first {@code n} words, joined by single spaces, where {@code n} is
 * {@value #MIN_WORDS} plus {@link StableHash#bucket} of the lower-cased example under the salt
 * {@value #WORDS_SALT} in {@code MAX_WORDS - MIN_WORDS + 1} buckets, so {@value #MIN_WORDS} to
 * {@value #MAX_WORDS} words fixed by the text alone, and at most all words but the last (corpus
 * examples have at least {@value WordNetCorpus#MIN_WORDS} words, so something is always left to
 * complete). A prompt does not end with a space: a completion is expected to start with one.
 *
 * <p>Lists of prompts hold each distinct prompt once, ordered by {@link StableHash#of} under the salt
 * {@value #ORDER_SALT} (ties by text): deterministic, and unrelated to the alphabet, so that any
 * prefix of a list is a fair sample of it. {@link #heldOut()} (evaluation, and the DPO paper's test
 * prompts) and {@link #train()} (RL) come from the two disjoint parts of {@link WordNetCorpus}, so
 * they share no example, though a short prompt may occur in both.
 */
public final class SentimentPrompts {

    /** Fewest words in a prompt. */
    public static final int MIN_WORDS = 2;

    /** Most words in a prompt. */
    public static final int MAX_WORDS = 4;

    /** The salt of the hash that picks a prompt's length. */
    public static final String WORDS_SALT = "sentiment-prompt-words";

    /** The salt of the hash that orders a list of prompts. */
    public static final String ORDER_SALT = "sentiment-prompt-order";

    private static final Comparator<String> LIST_ORDER =
            Comparator.comparing((String p) -> StableHash.of(ORDER_SALT, p), Long::compareUnsigned)
                    .thenComparing(Comparator.naturalOrder());

    private SentimentPrompts() {
    }

    /** The prompts of {@link WordNetCorpus#heldOut()}: for evaluation. Computed once per JVM. */
    public static List<String> heldOut() {
        return Holder.HELD_OUT;
    }

    /** The prompts of {@link WordNetCorpus#train()}: for RL. Computed once per JVM. */
    public static List<String> train() {
        return Holder.TRAIN;
    }

    /** The distinct prompts of {@code examples}, in the order the class comment gives. */
    public static List<String> of(List<String> examples) {
        Set<String> distinct = new LinkedHashSet<>();
        for (String example : examples) {
            distinct.add(promptOf(example));
        }
        List<String> prompts = new ArrayList<>(distinct);
        prompts.sort(LIST_ORDER);
        return List.copyOf(prompts);
    }

    /**
     * The prompt of one example: its first 2 to 4 words, as the class comment says.
     *
     * @throws IllegalArgumentException if {@code example} has fewer than {@code MIN_WORDS + 1} words
     */
    public static String promptOf(String example) {
        String[] words = example.trim().split("\\s+");
        if (words.length <= MIN_WORDS || words[0].isEmpty()) {
            throw new IllegalArgumentException("an example needs at least " + (MIN_WORDS + 1)
                    + " words to make a prompt, got \"" + example + "\"");
        }
        int span = MAX_WORDS - MIN_WORDS + 1;
        int n = MIN_WORDS + StableHash.bucket(WORDS_SALT, example.toLowerCase(Locale.ROOT), span);
        n = Math.min(n, words.length - 1);
        return String.join(" ", List.of(words).subList(0, n));
    }

    private static final class Holder {
        static final List<String> HELD_OUT = of(WordNetCorpus.get().heldOut());
        static final List<String> TRAIN = of(WordNetCorpus.get().train());
    }
}
