package ai.posemesh.evaluation;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.Engines;
import ai.posemesh.model.generate.GreedyDecoder;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.Set;

/**
 * The model library in this JVM: {@link TokenScorer} for exact logprobs, {@link GreedyDecoder} for greedy generation,
 * the directory's tokenizer.json.
 *
 * <p>Both run prefill in chunks of {@link #prefillChunk()} tokens, by default {@value #DEFAULT_PREFILL_CHUNK} — the
 * inference service's default ({@code posemesh.inference.prefill-chunk}) — because chunked and one-pass prefill
 * differ in the last float bits: with the same chunk as the service, in-process and remote numbers are identical at
 * every length. Nothing limits the sequence length here ({@link #sequenceLimit()}), so a model can be measured past its
 * window.
 */
public final class InProcessBackend implements EvalBackend {

    public static final int DEFAULT_PREFILL_CHUNK = 512;

    private final EvalModel identity;
    private final Llama model;
    private final TextTokenizer tokenizer;
    private final AutoCloseable owned;
    private int prefillChunk = DEFAULT_PREFILL_CHUNK;

    /**
     * Over a model and tokenizer the caller owns (and closes).
     *
     * @param name the name reports give the model
     * @param manifestSha256 sha256 of its manifest.json, or "" / null
     */
    public InProcessBackend(String name, String manifestSha256, Llama model, TextTokenizer tokenizer) {
        this(EvalModel.of(name, manifestSha256, model.config()), model, tokenizer, null);
    }

    private InProcessBackend(EvalModel identity, Llama model, TextTokenizer tokenizer, AutoCloseable owned) {
        this.identity = identity;
        this.model = model;
        this.tokenizer = tokenizer;
        this.owned = owned;
    }

    /**
     * Loads an HF model directory (config.json, weights, tokenizer.json); the model is named after the directory and
     * identified by the sha256 of its manifest.json when it has one. {@link #close()} frees it.
     *
     * @throws ai.posemesh.model.CheckpointException naming the file and field for an unreadable directory
     */
    public static InProcessBackend load(Path dir) {
        String name = dir.toAbsolutePath().normalize().getFileName().toString();
        String manifest = manifestSha256(dir);
        NDManager m = Engines.newManager();
        Llama llama = null;
        try {
            llama = HfCheckpoint.load(dir, m);
            TextTokenizer tok = TextTokenizer.load(dir);
            Llama l = llama;
            AutoCloseable owned = () -> {
                try (m;
                        l;
                        tok) {
                    // closes all three
                }
            };
            return new InProcessBackend(EvalModel.of(name, manifest, llama.config()), llama, tok, owned);
        } catch (RuntimeException e) {
            if (llama != null) {
                llama.close();
            }
            m.close();
            throw e;
        }
    }

    /** sha256 (hex) of {@code dir/manifest.json}, or "" when there is none: the service's {@code manifest_sha256}. */
    public static String manifestSha256(Path dir) {
        return CheckpointManifest.sha256Of(dir);
    }

    /** Prefill chunk for scoring and generation; match the service's to get its numbers bit for bit. */
    public InProcessBackend prefillChunk(int tokens) {
        if (tokens < 1) {
            throw new EvalException("prefill-chunk", "must be >= 1, got " + tokens);
        }
        this.prefillChunk = tokens;
        return this;
    }

    public int prefillChunk() {
        return prefillChunk;
    }

    public Llama llama() {
        return model;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public EvalModel model() {
        return identity;
    }

    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens);
    }

    @Override
    public int sequenceLimit() {
        return Integer.MAX_VALUE;
    }

    @Override
    public double[] score(long[] ids) {
        return TokenScorer.score(model, ids, TokenScorer.Options.onePass().withPrefillChunk(prefillChunk))
                .tokenLogprobs();
    }

    @Override
    public Generated greedy(long[] prompt, int maxNewTokens) {
        long[] ids = GreedyDecoder.generate(model, prompt, maxNewTokens, Set.of(), prefillChunk);
        return new Generated(ids, tokenizer.decode(ids, true));
    }

    @Override
    public void close() {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + identity.name(), e);
            }
        }
    }

    @Override
    public String toString() {
        return identity.name() + " (in-process)";
    }
}
