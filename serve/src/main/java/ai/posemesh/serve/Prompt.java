package ai.posemesh.serve;

/**
 * A prompt (or a Score input): text, tokenized by the model's tokenizer ({@code addSpecialTokens}: let it add BOS),
 * or token ids. Exactly one of {@code text} and {@code ids} is non-null.
 */
public record Prompt(String text, long[] ids, boolean addSpecialTokens) {

    public static Prompt text(String text, boolean addSpecialTokens) {
        return new Prompt(text, null, addSpecialTokens);
    }

    public static Prompt ids(long[] ids) {
        return new Prompt(null, ids, false);
    }

    /** No prompt at all (an unset oneof): refused as empty. */
    public static Prompt none() {
        return new Prompt(null, new long[0], false);
    }

    public boolean isText() {
        return text != null;
    }
}
