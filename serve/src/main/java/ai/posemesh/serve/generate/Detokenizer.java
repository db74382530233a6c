package ai.posemesh.serve.generate;

import ai.posemesh.model.tokenizer.TextTokenizer;
import java.util.Arrays;

/**
 * Streams text as tokens arrive without splitting a character: each new token is decoded together with a few tokens
 * before it (so tokenizers that drop a leading space see their context), and its text is released only once it no
 * longer ends in an incomplete UTF-8 sequence (U+FFFD). Special tokens decode to nothing.
 */
public final class Detokenizer {

    /** Tokens held back waiting for a character to complete before the text is released anyway (4 bytes + slack). */
    private static final int MAX_PENDING = 8;

    private final TextTokenizer tokenizer;
    private long[] ids = new long[16];
    private int n;
    private int prefixOffset;
    private int readOffset;

    /** @param tokenizer null for a model without one: every text is empty */
    public Detokenizer(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token; returns the text it completes (often empty while a multi-byte character is incomplete). */
    public String push(long id) {
        if (n == ids.length) {
            ids = Arrays.copyOf(ids, n * 2);
        }
        ids[n++] = id;
        return release(false);
    }

    /** Whatever is still held back (an incomplete character decodes as U+FFFD). */
    public String flush() {
        return release(true);
    }

    private String release(boolean force) {
        if (tokenizer == null || readOffset == n) {
            return "";
        }
        String before = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, readOffset), true);
        String now = tokenizer.decode(Arrays.copyOfRange(ids, prefixOffset, n), true);
        boolean incomplete = now.endsWith("\uFFFD") && n - readOffset < MAX_PENDING;
        if (now.length() <= before.length() || (incomplete && !force)) {
            return "";
        }
        prefixOffset = readOffset;
        readOffset = n;
        return now.substring(before.length());
    }
}
