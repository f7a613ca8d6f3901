package org.rlhf4j.tasks.sentiment;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * VADER's compound sentiment score, in [-1, 1]: the sentiment task's gold labeler.
 *
 * <p>Hutto &amp; Gilbert, "VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social
 * Media Text", ICWSM 2014. This is a port of the rules of the reference implementation,
 * {@code vaderSentiment} 3.3.2 ({@code SentimentIntensityAnalyzer.polarity_scores(text)["compound"]},
 * before its rounding to 4 decimals), over the lexicon file {@value #LEXICON_RESOURCE} of Maven
 * {@code com.github.apanimesh061:vader-sentiment-analyzer:1.0}. That artifact's own Java analyzer
 * is not used: it needs log4j 1.x and Lucene's analyzers, which its pom declares {@code provided},
 * and neither is on this project's classpath (it fails with {@code NoClassDefFoundError}).
 *
 * <p>The rules, as applied to each whitespace-separated token ({@link #tokens}):
 * <ol>
 *   <li>a token that is a booster or dampener ("very", "kinda", ...), or "kind" before "of", scores 0;
 *       so does a token missing from the lexicon (looked up in lower case);</li>
 *   <li>a lexicon token starts at its valence; "no" before a lexicon word scores 0, and a word up to
 *       two tokens after "no" (three, across "or"/"nor") is negated ({@code x -0.74});</li>
 *   <li>ALL-CAPS emphasis: a token in capitals, when some tokens are not, moves 0.733 further from 0;</li>
 *   <li>each of the three preceding tokens that is not itself in the lexicon may boost or dampen
 *       ({@code +-0.293}, scaled 1, 0.95, 0.9 by distance, plus 0.733 more if in capitals) and may
 *       negate ("not", "never", any token containing "n't", ...; {@code x -0.74}), with the special
 *       forms "never so/this" ({@code x 1.25}) and "without doubt" (no negation);</li>
 *   <li>three tokens back also brings idioms ("the bomb", "bad ass", "kiss of death", ...) and the
 *       two-word dampeners "kind of", "sort of", "just enough";</li>
 *   <li>"least" before a word negates it, except in "at least" and "very least";</li>
 *   <li>"but" (the first): scores of the tokens before it are halved, after it multiplied by 1.5;</li>
 *   <li>the scores are summed; 0.292 per "!" (at most 4) and, for 2 or more "?", 0.18 each (0.96 for
 *       more than 3) move the sum further from 0; the compound is {@code x / sqrt(x^2 + 15)}.</li>
 * </ol>
 *
 * <p>Parity with the reference, on purpose: its quirks are kept, so scores match it to the last
 * digit. A token is stripped of leading and trailing ASCII punctuation unless that leaves 2
 * characters or fewer ({@code "by,"} stays {@code "by,"}). "ALL CAPS" is Python's
 * {@code str.isupper()}: at least one cased letter and no lower-case one (so {@code "I"} counts).
 * The "but" rule finds each score's position by value, as the reference does with
 * {@code list.index}, so a score that equals an earlier one rescales the earlier position. A lexicon
 * word listed twice takes its last valence (the file lists "lol" as 2.9 and then 1.8).
 *
 * <p>Differences from the reference: no emoji table (the artifact has none; an emoji is an ordinary
 * character), and the lexicon is the artifact's, which differs from {@code vader_lexicon.txt} of
 * vaderSentiment 3.3.2 in six entries: it lacks "heart", "hearts", "flawed" and ":P", and has ":p"
 * at 1.4 (not 1.0) and "badass" at -0.6 (not 1.4). The file is read as ISO-8859-1, because two of
 * its emoticons hold a lone byte 0xDE.
 *
 * <p>Immutable and thread-safe; {@link #get()} shares one instance per JVM.
 */
public final class VaderLabeler implements Labeler {

    /** The lexicon on the classpath: token, mean valence, standard deviation, ratings; tab-separated. */
    public static final String LEXICON_RESOURCE = "vader_sentiment_lexicon.txt";

    /** The compound's normalisation constant: {@code x / sqrt(x^2 + ALPHA)}. */
    public static final double ALPHA = 15;

    // Empirical constants of the paper and the reference implementation.
    private static final double B_INCR = 0.293;
    private static final double B_DECR = -0.293;
    private static final double C_INCR = 0.733;
    private static final double N_SCALAR = -0.74;
    private static final double EXCLAMATION_WEIGHT = 0.292;
    private static final int MAX_EXCLAMATIONS = 4;
    private static final double QUESTION_WEIGHT = 0.18;
    private static final double MAX_QUESTION_AMPLIFIER = 0.96;

    private static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private static final Set<String> NEGATIONS = Set.of(
            "aint", "arent", "cannot", "cant", "couldnt", "darent", "didnt", "doesnt",
            "ain't", "aren't", "can't", "couldn't", "daren't", "didn't", "doesn't",
            "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neither",
            "don't", "hadn't", "hasn't", "haven't", "isn't", "mightn't", "mustn't",
            "neednt", "needn't", "never", "none", "nope", "nor", "not", "nothing", "nowhere",
            "oughtnt", "shant", "shouldnt", "uhuh", "wasnt", "werent",
            "oughtn't", "shan't", "shouldn't", "uh-uh", "wasn't", "weren't",
            "without", "wont", "wouldnt", "won't", "wouldn't", "rarely", "seldom", "despite");

    private static final Map<String, Double> BOOSTERS = boosters();

    private static final Map<String, Double> IDIOMS = Map.of(
            "the shit", 3.0, "the bomb", 3.0, "bad ass", 1.5, "badass", 1.5, "bus stop", 0.0,
            "yeah right", -2.0, "kiss of death", -1.5, "to die for", 3.0,
            "beating heart", 3.1, "broken heart", -2.9);

    private final Map<String, Double> lexicon;

    /** A labeler over {@code lexicon} (lower-case token to mean valence); see {@link #get()}. */
    public VaderLabeler(Map<String, Double> lexicon) {
        this.lexicon = Map.copyOf(lexicon);
    }

    /** The labeler over the lexicon on the classpath, loaded on first use and shared. */
    public static VaderLabeler get() {
        return Holder.INSTANCE;
    }

    /** VADER's compound score of {@code text}, unrounded, in [-1, 1]; 0 for text without tokens. */
    @Override
    public double score(String text) {
        List<String> tokens = tokens(text);
        if (tokens.isEmpty()) {
            return 0;
        }
        // 1. lower-cased tokens, and whether capitals set some tokens apart
        int n = tokens.size();
        String[] lower = new String[n];
        int capitalised = 0;
        for (int i = 0; i < n; i++) {
            lower[i] = tokens.get(i).toLowerCase(Locale.ROOT);
            capitalised += isUpper(tokens.get(i)) ? 1 : 0;
        }
        boolean capsStandOut = capitalised > 0 && capitalised < n;
        // 2. one score per token
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            boolean modifierOnly = BOOSTERS.containsKey(lower[i])
                    || (i < n - 1 && lower[i].equals("kind") && lower[i + 1].equals("of"));
            scores[i] = modifierOnly ? 0 : valence(tokens, lower, i, capsStandOut);
        }
        // 3. contrastive "but"
        butShift(lower, scores);
        // 4. sum, punctuation emphasis, normalisation
        double sum = 0;
        for (double s : scores) {
            sum += s;
        }
        double emphasis = punctuationEmphasis(text);
        if (sum > 0) {
            sum += emphasis;
        } else if (sum < 0) {
            sum -= emphasis;
        }
        return normalize(sum);
    }

    /** {@code x / sqrt(x^2 + ALPHA)}, clamped to [-1, 1]. */
    static double normalize(double x) {
        double y = x / Math.sqrt(x * x + ALPHA);
        return Math.max(-1.0, Math.min(1.0, y));
    }

    /**
     * VADER's tokens: {@code text} split at whitespace, each stripped of leading and trailing ASCII
     * punctuation unless that leaves 2 characters or fewer (then it is kept whole, like {@code ":)"}).
     */
    static List<String> tokens(String text) {
        List<String> tokens = new ArrayList<>();
        int i = 0;
        int len = text.length();
        while (i < len) {
            while (i < len && isSpace(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < len && !isSpace(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                tokens.add(stripPunctuationIfWord(text.substring(start, i)));
            }
        }
        return tokens;
    }

    private double valence(List<String> tokens, String[] lower, int i, boolean capsStandOut) {
        Double base = lexicon.get(lower[i]);
        if (base == null) {
            return 0;
        }
        int n = lower.length;
        double v = base;
        // "no" before a lexicon word only negates it; a word shortly after "no" is negated
        if (lower[i].equals("no") && i != n - 1 && lexicon.containsKey(lower[i + 1])) {
            v = 0.0;
        }
        if ((i > 0 && lower[i - 1].equals("no"))
                || (i > 1 && lower[i - 2].equals("no"))
                || (i > 2 && lower[i - 3].equals("no") && (lower[i - 1].equals("or") || lower[i - 1].equals("nor")))) {
            v = base * N_SCALAR;
        }
        // ALL-CAPS emphasis
        if (capsStandOut && isUpper(tokens.get(i))) {
            v += v > 0 ? C_INCR : -C_INCR;
        }
        // the three preceding tokens: boosters, negations, idioms
        for (int back = 0; back < 3; back++) {
            int j = i - (back + 1);
            if (j < 0 || lexicon.containsKey(lower[j])) {
                continue;
            }
            double s = boost(tokens.get(j), lower[j], v, capsStandOut);
            if (back == 1) {
                s *= 0.95;
            } else if (back == 2) {
                s *= 0.9;
            }
            v += s;
            v = negate(v, lower, back, i);
            if (back == 2) {
                v = idioms(v, lower, i);
            }
        }
        return leastCheck(v, lower, i);
    }

    private static double boost(String token, String lower, double valence, boolean capsStandOut) {
        Double b = BOOSTERS.get(lower);
        if (b == null) {
            return 0;
        }
        double scalar = valence < 0 ? -b : b;
        if (capsStandOut && isUpper(token)) {
            scalar += valence > 0 ? C_INCR : -C_INCR;
        }
        return scalar;
    }

    private static double negate(double v, String[] lower, int back, int i) {
        if (back == 0) {
            return isNegation(lower[i - 1]) ? v * N_SCALAR : v;
        }
        if (back == 1) {
            if (lower[i - 2].equals("never") && isSoOrThis(lower[i - 1])) {
                return v * 1.25;
            } else if (lower[i - 2].equals("without") && lower[i - 1].equals("doubt")) {
                return v;
            }
            return isNegation(lower[i - 2]) ? v * N_SCALAR : v;
        }
        // back == 2; the reference's condition reads "(never and so/this two back) or so/this one back"
        if ((lower[i - 3].equals("never") && isSoOrThis(lower[i - 2])) || isSoOrThis(lower[i - 1])) {
            return v * 1.25;
        } else if (lower[i - 3].equals("without") && (lower[i - 2].equals("doubt") || lower[i - 1].equals("doubt"))) {
            return v;
        }
        return isNegation(lower[i - 3]) ? v * N_SCALAR : v;
    }

    private static double idioms(double v, String[] lower, int i) {
        int n = lower.length;
        String oneZero = lower[i - 1] + " " + lower[i];
        String twoOneZero = lower[i - 2] + " " + lower[i - 1] + " " + lower[i];
        String twoOne = lower[i - 2] + " " + lower[i - 1];
        String threeTwoOne = lower[i - 3] + " " + lower[i - 2] + " " + lower[i - 1];
        String threeTwo = lower[i - 3] + " " + lower[i - 2];
        for (String sequence : List.of(oneZero, twoOneZero, twoOne, threeTwoOne, threeTwo)) {
            Double idiom = IDIOMS.get(sequence);
            if (idiom != null) {
                v = idiom;
                break;
            }
        }
        if (n - 1 > i) {
            Double idiom = IDIOMS.get(lower[i] + " " + lower[i + 1]);
            if (idiom != null) {
                v = idiom;
            }
        }
        if (n - 1 > i + 1) {
            Double idiom = IDIOMS.get(lower[i] + " " + lower[i + 1] + " " + lower[i + 2]);
            if (idiom != null) {
                v = idiom;
            }
        }
        for (String nGram : List.of(threeTwoOne, threeTwo, twoOne)) {
            Double b = BOOSTERS.get(nGram);
            if (b != null) {
                v += b;
            }
        }
        return v;
    }

    private double leastCheck(double v, String[] lower, int i) {
        if (i > 0 && lower[i - 1].equals("least") && !lexicon.containsKey("least")) {
            if (i == 1 || (!lower[i - 2].equals("at") && !lower[i - 2].equals("very"))) {
                return v * N_SCALAR;
            }
        }
        return v;
    }

    private static void butShift(String[] lower, double[] scores) {
        int but = -1;
        for (int i = 0; i < lower.length && but < 0; i++) {
            if (lower[i].equals("but")) {
                but = i;
            }
        }
        if (but < 0) {
            return;
        }
        // the reference visits each current value and rescales the first position holding it
        for (int k = 0; k < scores.length; k++) {
            double value = scores[k];
            int at = 0;
            while (scores[at] != value) {
                at++;
            }
            if (at < but) {
                scores[at] = value * 0.5;
            } else if (at > but) {
                scores[at] = value * 1.5;
            }
        }
    }

    private static double punctuationEmphasis(String text) {
        int exclamations = 0;
        int questions = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '!') {
                exclamations++;
            } else if (c == '?') {
                questions++;
            }
        }
        double amplifier = Math.min(exclamations, MAX_EXCLAMATIONS) * EXCLAMATION_WEIGHT;
        if (questions > 1) {
            amplifier += questions <= 3 ? questions * QUESTION_WEIGHT : MAX_QUESTION_AMPLIFIER;
        }
        return amplifier;
    }

    private static boolean isNegation(String lower) {
        return NEGATIONS.contains(lower) || lower.contains("n't");
    }

    private static boolean isSoOrThis(String lower) {
        return lower.equals("so") || lower.equals("this");
    }

    /** Python's {@code str.isupper()}: some cased character, and none lower or title case. */
    static boolean isUpper(String s) {
        boolean cased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.isLowerCase(cp) || Character.isTitleCase(cp)) {
                return false;
            }
            cased |= Character.isUpperCase(cp);
            i += Character.charCount(cp);
        }
        return cased;
    }

    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }

    private static String stripPunctuationIfWord(String token) {
        int start = 0;
        int end = token.length();
        while (start < end && ASCII_PUNCTUATION.indexOf(token.charAt(start)) >= 0) {
            start++;
        }
        while (end > start && ASCII_PUNCTUATION.indexOf(token.charAt(end - 1)) >= 0) {
            end--;
        }
        return token.codePointCount(start, end) <= 2 ? token : token.substring(start, end);
    }

    private static Map<String, Double> boosters() {
        Map<String, Double> m = new HashMap<>();
        for (String w : List.of("absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
                "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially", "exceptional",
                "exceptionally", "extreme", "extremely", "fabulously", "flipping", "flippin", "frackin", "fracking",
                "fricking", "frickin", "frigging", "friggin", "fully", "fuckin", "fucking", "fuggin", "fugging",
                "greatly", "hella", "highly", "hugely", "incredible", "incredibly", "intensely", "major", "majorly",
                "more", "most", "particularly", "purely", "quite", "really", "remarkably", "so", "substantially",
                "thoroughly", "total", "totally", "tremendous", "tremendously", "uber", "unbelievably", "unusually",
                "utter", "utterly", "very")) {
            m.put(w, B_INCR);
        }
        for (String w : List.of("almost", "barely", "hardly", "just enough", "kind of", "kinda", "kindof", "kind-of",
                "less", "little", "marginal", "marginally", "occasional", "occasionally", "partly", "scarce",
                "scarcely", "slight", "slightly", "somewhat", "sort of", "sorta", "sortof", "sort-of")) {
            m.put(w, B_DECR);
        }
        return Map.copyOf(m);
    }

    /** Reads the lexicon: the first two tab-separated fields of each non-blank line; the last entry of a token wins. */
    static Map<String, Double> readLexicon(InputStream in, String source) {
        Map<String, Double> lexicon = new HashMap<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.ISO_8859_1))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                String entry = line.strip();
                if (entry.isEmpty()) {
                    continue;
                }
                String[] fields = entry.split("\t");
                try {
                    lexicon.put(fields[0], Double.parseDouble(fields[1]));
                } catch (RuntimeException e) {
                    throw new IllegalStateException(source + " line " + number
                            + ": expected token<TAB>mean valence<TAB>..., got \"" + line + "\"", e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + source, e);
        }
        return lexicon;
    }

    private static final class Holder {
        static final VaderLabeler INSTANCE = load();

        private static VaderLabeler load() {
            InputStream in = VaderLabeler.class.getClassLoader().getResourceAsStream(LEXICON_RESOURCE);
            if (in == null) {
                throw new IllegalStateException("VADER lexicon " + LEXICON_RESOURCE + " is not on the classpath; "
                        + "expected it in Maven com.github.apanimesh061:vader-sentiment-analyzer:1.0");
            }
            return new VaderLabeler(readLexicon(in, LEXICON_RESOURCE));
        }
    }
}
