package ai.posemesh.serve.generate;

import ai.posemesh.model.generate.CachedSequence;
import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.registry.ModelRegistry;

/**
 * One admitted generation request: its model is held and its tokens (prompt + max_new_tokens) are reserved from the
 * budget until {@link #close()}. {@link #run} does the work on the caller's thread: chunked prefill over a KV cache
 * preallocated for prompt + max_new_tokens, then one decode step per token.
 *
 * <p>Memory while it runs: the KV cache, 2 · layers · kv_heads · head_dim · 4 bytes per reserved token, plus one
 * prefill chunk's activations (C = prefill chunk): the layer activations C · max(hidden, intermediate) floats, the
 * bottom-right causal mask C · (prompt + max_new) bytes and the attention work space of torch's SDPA over the same
 * C × (prompt + max_new) rows and keys; logits are a single row [vocab]. The budget bounds the sum of KV caches, the
 * worker count the number of chunks in flight.
 *
 * <p>Requests decode independently (no batching across requests): batching decode steps would need a batched KV cache
 * with a length per row, a padded per-row attention mask (the fused attention's suffix-causal mask assumes one
 * length), per-row positions and RoPE lengths (dynamic RoPE differs per request), and a scheduler thread that gathers
 * the ready sequences every step.
 */
public final class Generation implements AutoCloseable {

    private final ModelRegistry.Lease lease;
    private final TokenBudget.Reservation reservation;
    private final long[] prompt;
    private final SamplingParams params;
    private final int prefillChunk;
    private final long preparedNanos;

    public Generation(
            ModelRegistry.Lease lease,
            TokenBudget.Reservation reservation,
            long[] prompt,
            SamplingParams params,
            int prefillChunk,
            long preparedNanos) {
        this.lease = lease;
        this.reservation = reservation;
        this.prompt = prompt;
        this.params = params;
        this.prefillChunk = prefillChunk;
        this.preparedNanos = preparedNanos;
    }

    public int promptTokens() {
        return prompt.length;
    }

    public LoadedModel model() {
        return lease.model();
    }

    public SamplingParams params() {
        return params;
    }

    /** Runs to the end (length, stop, EOS or cancellation) and reports it through {@code listener}. */
    public void run(GenerationListener listener, Cancellation cancel) {
        LoadedModel model = lease.model();
        int total = prompt.length + params.maxNewTokens();
        Sampler sampler = new Sampler(params);
        Detokenizer detok = new Detokenizer(model.tokenizer());
        StopMatcher stops = new StopMatcher(params.stop());
        int[] eos = model.config().eosTokenIds();
        int top = listener.topLogprobs();
        Timings time = new Timings(preparedNanos);
        try (CachedSequence seq = new CachedSequence(model.llama(), total, total)) {
            listener.onPrefill(0, prompt.length);
            float[] logits = seq.prefill(
                    prompt, prefillChunk, cancel::isCancelled, done -> listener.onPrefill(done, prompt.length));
            if (logits == null) {
                listener.onFinal(time.result(FinishReason.CANCELLED, prompt.length, 0, null));
                return;
            }
            time.prefillDone();
            for (int n = 1; ; n++) {
                int id = sampler.next(logits);
                double lp = Sampler.logprob(logits, id);
                if (top > 0) {
                    int[] ids = Sampler.top(logits, top);
                    listener.onTopLogprobs(ids, Sampler.logprobs(logits, ids));
                }
                boolean isEos = !params.ignoreEos() && contains(eos, id);
                boolean last = isEos || n == params.maxNewTokens();
                String text = detok.push(id) + (last ? detok.flush() : "");
                String released = stops.push(text);
                String stop = stops.matched();
                if (stop == null && last) {
                    released += stops.flush();
                }
                time.token();
                listener.onToken(id, released, lp);
                if (stop != null || last) {
                    FinishReason why =
                            stop != null ? FinishReason.STOP : isEos ? FinishReason.EOS : FinishReason.LENGTH;
                    listener.onFinal(time.result(why, prompt.length, n, stop));
                    return;
                }
                if (cancel.isCancelled()) {
                    listener.onFinal(time.result(FinishReason.CANCELLED, prompt.length, n, null));
                    return;
                }
                logits = seq.next(id);
            }
        }
    }

    private static boolean contains(int[] ids, int id) {
        for (int e : ids) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    /** Frees the model lease and the budget reservation. */
    @Override
    public void close() {
        reservation.close();
        lease.close();
    }

    /** Time to first token, prefill and decode speed. */
    private static final class Timings {
        private final long prepared;
        private final long start = System.nanoTime();
        private long prefillEnd;
        private long firstToken;
        private long lastToken;

        Timings(long prepared) {
            this.prepared = prepared;
        }

        void prefillDone() {
            prefillEnd = System.nanoTime();
        }

        void token() {
            lastToken = System.nanoTime();
            if (firstToken == 0) {
                firstToken = lastToken;
            }
        }

        GenerationResult result(FinishReason why, int promptTokens, int generated, String stop) {
            double ttft = firstToken == 0 ? 0 : (firstToken - prepared) / 1e6;
            double prefill = prefillEnd == 0 ? 0 : perSecond(promptTokens, prefillEnd - start);
            double decode = generated > 1 ? perSecond(generated - 1, lastToken - firstToken) : 0;
            return new GenerationResult(why, promptTokens, generated, ttft, prefill, decode, stop == null ? "" : stop);
        }

        private static double perSecond(long tokens, long nanos) {
            return nanos <= 0 ? 0 : tokens / (nanos / 1e9);
        }
    }
}
