package ai.posemesh.serve.registry;

import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.nio.file.Path;

/**
 * A model the registry serves: weights, tokenizer (null when the directory has no tokenizer.json: token ids only) and
 * where it came from. Counts the requests running on it, so unloading can wait for them.
 */
public final class LoadedModel implements AutoCloseable {

    private final String name;
    private final Path dir;
    private final Llama llama;
    private final TextTokenizer tokenizer;
    private final String manifestSha256;
    private final int maxContextOverride;
    private int running;

    LoadedModel(
            String name,
            Path dir,
            Llama llama,
            TextTokenizer tokenizer,
            String manifestSha256,
            int maxContextOverride) {
        this.name = name;
        this.dir = dir;
        this.llama = llama;
        this.tokenizer = tokenizer;
        this.manifestSha256 = manifestSha256;
        this.maxContextOverride = maxContextOverride;
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    /** The directory as a file:// URI. */
    public String uri() {
        return dir.toUri().toString();
    }

    public Llama llama() {
        return llama;
    }

    public LlamaConfig config() {
        return llama.config();
    }

    /** Null when the model has no tokenizer.json. */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** sha256 of manifest.json, or "" when the directory has none. */
    public String manifestSha256() {
        return manifestSha256;
    }

    /**
     * The context it is served with: the longest prompt + generation, and the longest one-pass score (or window). The
     * max-context override it was loaded with when there is one ({@link ModelRegistry#load(String, String, String,
     * int)}), else max_position_embeddings. An override larger than max_position_embeddings runs positions the model
     * was not trained on: the numbers are the model's own there (RoPE has no table to run out of), which is what
     * measuring a base model past its window wants.
     */
    public int maxContext() {
        return maxContextOverride > 0 ? maxContextOverride : maxPositionEmbeddings();
    }

    /** config.json's max_position_embeddings: the model's own window, whatever it is served with. */
    public int maxPositionEmbeddings() {
        return config().maxPositionEmbeddings();
    }

    /**
     * The pre-training window: rope original_max_position_embeddings, else max_position_embeddings / factor, else
     * max_position_embeddings.
     */
    public int baseContext() {
        return config().originalMaxPositionEmbeddings();
    }

    public int vocabSize() {
        return config().vocabSize();
    }

    synchronized int running() {
        return running;
    }

    synchronized void retain() {
        running++;
    }

    synchronized void release() {
        running--;
        notifyAll();
    }

    synchronized void awaitIdle() throws InterruptedException {
        while (running > 0) {
            wait();
        }
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        llama.close();
    }

    @Override
    public String toString() {
        return "model '" + name + "'";
    }
}
