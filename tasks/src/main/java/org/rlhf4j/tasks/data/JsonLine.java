package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * One line of a JSONL file parsed as a JSON object, with checked access to its fields; every
 * failure is a {@link DataFileException} that names the file, the line and the field.
 */
final class JsonLine {

    /** The field of TRL's conversational language-modeling format. */
    static final String MESSAGES = "messages";

    private static final int SHOWN_VALUE_CHARS = 60;

    private final Path file;
    private final long number;
    private final Map<String, JsonNode> fields;

    private JsonLine(Path file, long number, Map<String, JsonNode> fields) {
        this.file = file;
        this.number = number;
        this.fields = fields;
    }

    /**
     * Parses {@code text} as one JSON object, dropping the fields named in {@code ignoredFields}.
     * Duplicate fields and anything after the object are errors.
     */
    static JsonLine parse(ObjectMapper json, String text, Path file, long number, Set<String> ignoredFields) {
        try (JsonParser parser = json.createParser(text)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                JsonNode value = parser.readValueAsTree();
                throw new DataFileException(file, number, "not a JSON object, got " + describe(value));
            }
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                parser.nextToken();
                JsonNode value = parser.readValueAsTree();
                if (fields.containsKey(name)) {
                    throw new DataFileException(file, number, "duplicate field \"" + name + "\"");
                }
                fields.put(name, value);
            }
            if (parser.nextToken() != null) {
                throw new DataFileException(file, number, "not valid JSON at column "
                        + parser.currentTokenLocation().getColumnNr() + ": unexpected text after the JSON object");
            }
            fields.keySet().removeAll(ignoredFields);
            return new JsonLine(file, number, fields);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at column " + at.getColumnNr();
            throw new DataFileException(file, number, "not valid JSON" + where + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("reading a JSON string cannot fail with I/O", e);
        }
    }

    boolean has(String name) {
        return fields.containsKey(name);
    }

    /**
     * Rejects TRL's conversational format and any field not in {@code known}.
     *
     * @param standardShape how a line of the standard text format looks, for the message
     * @param ignoredFields the fields that were dropped, for the message
     */
    void requireKnownFields(Collection<String> known, String standardShape, Set<String> ignoredFields) {
        if (has(MESSAGES)) {
            throw conversational(MESSAGES, standardShape);
        }
        for (Map.Entry<String, JsonNode> field : fields.entrySet()) {
            if (isConversational(field.getValue())) {
                throw conversational(field.getKey(), standardShape);
            }
        }
        for (String name : fields.keySet()) {
            if (!known.contains(name)) {
                String ignored = ignoredFields.isEmpty() ? "" : " (ignored: " + quoted(new TreeSet<>(ignoredFields)) + ")";
                throw error("unknown field \"" + name + "\": expected only " + quoted(known) + ignored);
            }
        }
    }

    /** The string in field {@code name}. */
    String string(String name) {
        JsonNode value = fields.get(name);
        if (value == null) {
            throw error("missing field \"" + name + "\"");
        }
        if (!value.isTextual()) {
            throw error("field \"" + name + "\": expected a string, got " + describe(value));
        }
        return value.textValue();
    }

    /** The number in field {@code name}, or empty if the field is absent. */
    OptionalDouble optionalNumber(String name) {
        JsonNode value = fields.get(name);
        if (value == null) {
            return OptionalDouble.empty();
        }
        if (!value.isNumber()) {
            throw error("field \"" + name + "\": expected a number, got " + describe(value));
        }
        return OptionalDouble.of(value.doubleValue());
    }

    /** Builds an example, turning the record's own checks into an error on this line. */
    <T> T build(Supplier<T> example) {
        try {
            return example.get();
        } catch (IllegalArgumentException e) {
            throw error(e.getMessage());
        }
    }

    DataFileException error(String problem) {
        return new DataFileException(file, number, problem);
    }

    private DataFileException conversational(String name, String standardShape) {
        return error("field \"" + name + "\": TRL's conversational format (a list of {\"role\", \"content\"} messages)"
                + " is not supported; only the standard text format is supported: " + standardShape);
    }

    // TRL's test (is_conversational): a list whose items are objects with a "role".
    private static boolean isConversational(JsonNode value) {
        if (!value.isArray() || value.isEmpty()) {
            return false;
        }
        for (JsonNode item : value) {
            if (!item.isObject() || !item.has("role")) {
                return false;
            }
        }
        return true;
    }

    /** A JSON value as a message shows it: its type, then its text, shortened. */
    static String describe(JsonNode value) {
        if (value == null || value.isMissingNode()) {
            return "nothing";
        }
        if (value.isNull()) {
            return "null";
        }
        String text = value.toString();
        if (text.length() > SHOWN_VALUE_CHARS) {
            int end = Character.isHighSurrogate(text.charAt(SHOWN_VALUE_CHARS - 1)) ? SHOWN_VALUE_CHARS - 1 : SHOWN_VALUE_CHARS;
            text = text.substring(0, end) + "...";
        }
        String type;
        if (value.isTextual()) {
            type = "string";
        } else if (value.isNumber()) {
            type = "number";
        } else if (value.isBoolean()) {
            type = "boolean";
        } else if (value.isArray()) {
            type = "array";
        } else {
            type = "object";
        }
        return type + " " + text;
    }

    private static String quoted(Collection<String> names) {
        return names.stream().map(name -> "\"" + name + "\"").collect(Collectors.joining(", "));
    }
}
