package org.rlhf4j.tasks.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** How one kind of example is laid out as a JSON object: its fields, how to read them and how to write them. */
interface ExampleFormat<T> {

    /** What the examples are, for messages: {@code "SFT examples"}. */
    String kind();

    /** Every field a line of this format may hold. */
    List<String> fields();

    /** One line of the standard text format, for messages: {@code {"prompt": "...", "chosen": "..."}}. */
    String standardShape();

    /** The example on {@code line}, whose fields are known to be among {@link #fields()}. */
    T read(JsonLine line);

    /** Writes the fields of {@code example} into the empty {@code json}. */
    void write(T example, ObjectNode json);
}
