package ai.posemesh.serve;

import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.serve.InferenceException.Reason;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.generate.Generation;
import ai.posemesh.serve.generate.SamplingParams;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.registry.ModelRegistry;
import ai.posemesh.serve.score.ScoreOptions;
import ai.posemesh.serve.score.Scoring;
import java.util.Map;

/**
 * The inference engine: checks a request against its model (prompt, vocabulary, sampling, context length), admits it
 * under the token budget and hands back a {@link Generation} or {@link Scoring} that runs on the caller's thread.
 * Preparing is cheap and fails fast with an {@link InferenceException}; nothing is allocated for the model until the
 * request is admitted. Adapters (the gRPC service, the OpenAI-compatible HTTP resource) only translate messages and
 * pick threads.
 */
public final class InferenceEngine {

    /** Tokens per prefill chunk when none is configured: bounds a chunk's activations and attention mask. */
    public static final int DEFAULT_PREFILL_CHUNK = 512;

    private final ModelRegistry registry;
    private final TokenBudget budget;
    private final int prefillChunk;

    public InferenceEngine(ModelRegistry registry, TokenBudget budget, int prefillChunk) {
        if (prefillChunk < 1) {
            throw new IllegalArgumentException("prefill chunk must be >= 1, got " + prefillChunk);
        }
        this.registry = registry;
        this.budget = budget;
        this.prefillChunk = prefillChunk;
    }

    public ModelRegistry registry() {
        return registry;
    }

    public TokenBudget budget() {
        return budget;
    }

    public int prefillChunk() {
        return prefillChunk;
    }

    /** Validates, tokenizes and admits a generation; the caller runs it, then closes it. */
    public Generation prepareGeneration(String model, Prompt prompt, SamplingParams sampling) {
        long prepared = System.nanoTime();
        sampling.validate();
        ModelRegistry.Lease lease = registry.acquire(model);
        try {
            LoadedModel m = lease.model();
            if (!sampling.stop().isEmpty() && m.tokenizer() == null) {
                throw InferenceException.field(
                        Reason.INVALID_REQUEST,
                        "sampling.stop",
                        m + " has no tokenizer.json, " + "so its output has no text to find stop sequences in");
            }
            long[] ids = Tokens.of(m, prompt, "prompt");
            checkContext(m, ids.length, sampling.maxNewTokens());
            TokenBudget.Reservation r = budget.reserve(
                    ids.length + (long) sampling.maxNewTokens(),
                    "prompt " + ids.length + " + max_new_tokens " + sampling.maxNewTokens());
            return new Generation(lease, r, ids, sampling, prefillChunk, prepared);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    /** The same for a prompt that arrives in chunks: sampling and model are checked now, the prompt as it grows. */
    public PromptUpload startUpload(String model, SamplingParams sampling, boolean addSpecialTokens) {
        sampling.validate();
        LoadedModel m = registry.get(model);
        return new PromptUpload(this, model, sampling, addSpecialTokens, m.maxContext());
    }

    /** Validates, tokenizes and admits a Score request (budget: the tokens of one context). */
    public Scoring prepareScore(String model, Prompt input, ScoreOptions options) {
        ModelRegistry.Lease lease = registry.acquire(model);
        try {
            LoadedModel m = lease.model();
            long[] ids = Tokens.of(m, input, "input");
            if (ids.length < 2) {
                throw InferenceException.field(
                        Reason.INVALID_REQUEST,
                        "input",
                        "has 1 token; scoring needs at least "
                                + "2 (each target is predicted from the tokens before it)");
            }
            TokenScorer.Options opts = scorerOptions(m, ids.length, options);
            long held = opts.window() > 0 ? Math.min(ids.length, opts.window()) : ids.length;
            TokenBudget.Reservation r = budget.reserve(
                    held, opts.window() > 0 ? "a window of " + held + " tokens" : "input " + ids.length + " tokens");
            return new Scoring(lease, r, ids, opts, options);
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    private TokenScorer.Options scorerOptions(LoadedModel m, int n, ScoreOptions o) {
        if (o.chunkTokens() < 1 || o.chunkTokens() > ScoreOptions.MAX_CHUNK_TOKENS) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST,
                    "chunk_tokens",
                    "must be in [1, " + ScoreOptions.MAX_CHUNK_TOKENS + "], got " + o.chunkTokens());
        }
        if (o.topLogprobs() < 0 || o.topLogprobs() > ScoreOptions.MAX_TOP_LOGPROBS) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST,
                    "top_logprobs",
                    "must be in [0, " + ScoreOptions.MAX_TOP_LOGPROBS + "], got " + o.topLogprobs());
        }
        if ((long) o.chunkTokens() * (1 + o.topLogprobs()) > ScoreOptions.MAX_CHUNK_NUMBERS) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST,
                    "chunk_tokens",
                    o.chunkTokens() + " targets with "
                            + o.topLogprobs() + " alternatives each make too large a message; keep chunk_tokens × (1 + "
                            + "top_logprobs) <= " + ScoreOptions.MAX_CHUNK_NUMBERS);
        }
        if (o.window() == 0) {
            if (n > m.maxContext()) {
                throw new InferenceException(
                        Reason.CONTEXT_LENGTH_EXCEEDED,
                        "input has " + n + " tokens > max_context "
                                + m.maxContext() + " of " + m + "; score it with a sliding window (window <= "
                                + m.maxContext() + ") or shorten it",
                        contextMetadata(m, n, 0));
            }
            return TokenScorer.Options.onePass().withPrefillChunk(prefillChunk);
        }
        if (o.window() < 2) {
            throw InferenceException.field(Reason.INVALID_WINDOW, "window", "must be >= 2, got " + o.window());
        }
        if (o.window() > m.maxContext()) {
            throw new InferenceException(
                    Reason.INVALID_WINDOW,
                    "window: " + o.window() + " > max_context " + m.maxContext() + " of " + m,
                    InferenceException.meta(InferenceException.FIELD, "window", "max_context", m.maxContext()));
        }
        if (o.stride() < 1 || o.stride() >= o.window()) {
            throw InferenceException.field(
                    Reason.INVALID_WINDOW,
                    "stride",
                    "must be in [1, window) so every token is " + "scored once with context, got " + o.stride()
                            + " for window " + o.window());
        }
        return TokenScorer.Options.sliding(o.window(), o.stride()).withPrefillChunk(prefillChunk);
    }

    /** Prompt token count of a prompt, and the model's context. */
    public record Count(int tokens, int maxContext) {}

    public Count countTokens(String model, Prompt prompt) {
        LoadedModel m = registry.get(model);
        return new Count(Tokens.of(m, prompt, "prompt").length, m.maxContext());
    }

    /** Token ids of a text and each token as the tokenizer prints it. */
    public record Tokenized(long[] ids, String[] tokens) {}

    public Tokenized tokenize(String model, String text, boolean addSpecialTokens) {
        LoadedModel m = registry.get(model);
        long[] ids = Tokens.encode(m, text, addSpecialTokens, "text");
        return new Tokenized(ids, m.tokenizer().tokens(text, addSpecialTokens));
    }

    /** @throws InferenceException CONTEXT_LENGTH_EXCEEDED when prompt + max_new_tokens exceed the model's context */
    public static void checkContext(LoadedModel m, int promptTokens, int maxNew) {
        if (promptTokens + (long) maxNew > m.maxContext()) {
            throw new InferenceException(
                    Reason.CONTEXT_LENGTH_EXCEEDED,
                    "prompt has " + promptTokens
                            + " tokens + max_new_tokens " + maxNew + " = " + (promptTokens + (long) maxNew)
                            + " > max_context "
                            + m.maxContext() + " of " + m + "; shorten the prompt or lower max_new_tokens",
                    contextMetadata(m, promptTokens, maxNew));
        }
    }

    private static Map<String, Object> contextMetadata(LoadedModel m, int prompt, int maxNew) {
        return InferenceException.meta(
                "prompt_tokens", prompt, "max_new_tokens", maxNew, "max_context", m.maxContext(), "model", m.name());
    }
}
