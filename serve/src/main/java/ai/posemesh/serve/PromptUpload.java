package ai.posemesh.serve;

import ai.posemesh.serve.InferenceException.Reason;
import ai.posemesh.serve.generate.Generation;
import ai.posemesh.serve.generate.SamplingParams;
import java.util.Arrays;

/**
 * A prompt arriving in chunks (GenerateUpload): all text or all token ids. Text is kept and tokenized once, whole,
 * at {@link #finish()}, so where the client split it never changes the tokens. Growth is bounded as it arrives: ids
 * that with max_new_tokens pass the model's context are refused at once, and so is text beyond
 * {@link #MAX_CHARS_PER_TOKEN} characters per context token (it cannot fit, and holding it would cost memory for
 * nothing). Both refusals are CONTEXT_LENGTH_EXCEEDED, like an over-long whole prompt, but come before the prompt
 * has ended: their {@code prompt_tokens} is a lower bound (the ids received so far; the characters received so far
 * over {@link #MAX_CHARS_PER_TOKEN}) and the metadata says so with {@value #LOWER_BOUND}{@code =true}.
 */
public final class PromptUpload {

    /** No tokenizer packs more characters than this into one token on average; bounds what an upload may hold. */
    public static final int MAX_CHARS_PER_TOKEN = 64;

    /** ErrorInfo metadata key, "true" when {@code prompt_tokens} counts only what arrived before the refusal. */
    public static final String LOWER_BOUND = "prompt_tokens_is_lower_bound";

    private final InferenceEngine engine;
    private final String model;
    private final SamplingParams sampling;
    private final boolean addSpecialTokens;
    private final int maxContext;
    private StringBuilder text;
    private long[] ids;
    private int idCount;

    PromptUpload(
            InferenceEngine engine, String model, SamplingParams sampling, boolean addSpecialTokens, int maxContext) {
        this.engine = engine;
        this.model = model;
        this.sampling = sampling;
        this.addSpecialTokens = addSpecialTokens;
        this.maxContext = maxContext;
    }

    public void appendText(String chunk) {
        if (ids != null) {
            throw mixed();
        }
        if (text == null) {
            text = new StringBuilder();
        }
        long chars = text.length() + (long) chunk.length();
        if (chars > (long) maxContext * MAX_CHARS_PER_TOKEN) {
            long atLeast = (chars + MAX_CHARS_PER_TOKEN - 1) / MAX_CHARS_PER_TOKEN;
            throw new InferenceException(
                    Reason.CONTEXT_LENGTH_EXCEEDED,
                    "the uploaded text has at least " + chars
                            + " characters, so at least " + atLeast + " tokens (no tokenizer averages more than "
                            + MAX_CHARS_PER_TOKEN + " characters a token) > max_context " + maxContext + " of model '"
                            + model
                            + "'; shorten the prompt",
                    InferenceException.meta(
                            "prompt_tokens",
                            atLeast,
                            "max_new_tokens",
                            sampling.maxNewTokens(),
                            "max_context",
                            maxContext,
                            "model",
                            model,
                            LOWER_BOUND,
                            true,
                            "prompt_chars",
                            chars));
        }
        text.append(chunk);
    }

    public void appendIds(long[] chunk) {
        if (text != null) {
            throw mixed();
        }
        if (ids == null) {
            ids = new long[Math.max(1024, chunk.length)];
        }
        if (idCount + (long) chunk.length + sampling.maxNewTokens() > maxContext) {
            throw new InferenceException(
                    Reason.CONTEXT_LENGTH_EXCEEDED,
                    "the uploaded prompt has at least "
                            + (idCount + chunk.length) + " tokens + max_new_tokens " + sampling.maxNewTokens()
                            + " > max_context "
                            + maxContext + " of model '" + model + "'; shorten the prompt or lower max_new_tokens",
                    InferenceException.meta(
                            "prompt_tokens",
                            idCount + chunk.length,
                            "max_new_tokens",
                            sampling.maxNewTokens(),
                            "max_context",
                            maxContext,
                            "model",
                            model,
                            LOWER_BOUND,
                            true));
        }
        if (idCount + chunk.length > ids.length) {
            ids = Arrays.copyOf(ids, Math.max(ids.length * 2, idCount + chunk.length));
        }
        System.arraycopy(chunk, 0, ids, idCount, chunk.length);
        idCount += chunk.length;
    }

    /** Tokenizes (text) and admits the whole prompt, as {@link InferenceEngine#prepareGeneration}. */
    public Generation finish() {
        Prompt p = text != null
                ? Prompt.text(text.toString(), addSpecialTokens)
                : ids != null ? Prompt.ids(Arrays.copyOf(ids, idCount)) : Prompt.none();
        text = null;
        ids = null;
        return engine.prepareGeneration(model, p, sampling);
    }

    private static InferenceException mixed() {
        return InferenceException.field(
                Reason.INVALID_REQUEST, "chunk", "an upload is all text chunks or all " + "token-id chunks, not both");
    }
}
