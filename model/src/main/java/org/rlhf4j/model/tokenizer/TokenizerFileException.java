package org.rlhf4j.model.tokenizer;

/**
 * A tokenizer file that is missing or does not say what a tokenizer needs.
 *
 * <p>The message names the file, the line where one is known (merges.txt), what was expected and
 * what was found, so it can be fixed without a debugger.
 */
public class TokenizerFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TokenizerFileException(String message) {
        super(message);
    }

    public TokenizerFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
