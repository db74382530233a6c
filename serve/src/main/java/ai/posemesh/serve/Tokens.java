package ai.posemesh.serve;

import ai.posemesh.serve.InferenceException.Reason;
import ai.posemesh.serve.registry.LoadedModel;

/** Turns a {@link Prompt} into checked token ids for a model, naming the request field on error. */
final class Tokens {

    private Tokens() {}

    /**
     * @param field the request field holding the prompt ("prompt", "input"), for messages
     * @throws InferenceException EMPTY_PROMPT, TOKEN_OUT_OF_VOCABULARY (with index, token_id, vocab_size) or
     *     INVALID_REQUEST (text for a model without a tokenizer)
     */
    static long[] of(LoadedModel model, Prompt prompt, String field) {
        long[] ids;
        if (prompt.isText()) {
            if (prompt.text().isEmpty()) {
                throw empty(field);
            }
            ids = encode(model, prompt.text(), prompt.addSpecialTokens(), field + ".text");
        } else {
            ids = prompt.ids();
            if (ids.length == 0) {
                throw empty(field);
            }
            checkVocabulary(model, ids, field + ".tokens.ids");
        }
        return ids;
    }

    static long[] encode(LoadedModel model, String text, boolean addSpecialTokens, String field) {
        if (model.tokenizer() == null) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST,
                    field,
                    model + " has no tokenizer.json, so it " + "takes token ids, not text");
        }
        try {
            return model.tokenizer().encode(text, addSpecialTokens);
        } catch (RuntimeException e) {
            throw InferenceException.field(Reason.INVALID_REQUEST, field, "cannot be tokenized: " + e.getMessage());
        }
    }

    static void checkVocabulary(LoadedModel model, long[] ids, String field) {
        int vocab = model.vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new InferenceException(
                        Reason.TOKEN_OUT_OF_VOCABULARY,
                        field + "[" + i + "]: token id " + ids[i] + " is outside the vocabulary [0, " + vocab + ") of "
                                + model,
                        InferenceException.meta(
                                InferenceException.FIELD, field, "index", i, "token_id", ids[i], "vocab_size", vocab));
            }
        }
    }

    private static InferenceException empty(String field) {
        return new InferenceException(
                Reason.EMPTY_PROMPT,
                field + ": is empty; send text or token ids (to start " + "from BOS alone, send its id as tokens)",
                InferenceException.meta(InferenceException.FIELD, field));
    }
}
