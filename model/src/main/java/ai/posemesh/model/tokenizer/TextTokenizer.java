package ai.posemesh.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Any HF {@code tokenizer.json}, through DJL's binding of the Rust tokenizers library (its native library ships in the
 * jar). Always loaded from a file, never by hub name. No truncation and no padding: callers see every token.
 */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path file) {
        this.tokenizer = tokenizer;
        this.file = file;
    }

    /** The tokenizer.json of a model directory. */
    public static TextTokenizer load(Path modelDir) {
        Engines.offline();
        Path file = modelDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(
                    file,
                    null,
                    "file not found (the model directory has no tokenizer; " + "pass token ids instead of text)");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(
                    file, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "true"));
            return new TextTokenizer(t, file);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file, null, "is not a valid tokenizer: " + e.getMessage(), e);
        }
    }

    /** Token ids; with {@code addSpecialTokens} the tokenizer's post-processor adds BOS (as LLaMA's does). */
    public long[] encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        return e.getIds();
    }

    /** Each token of {@code text} as the tokenizer prints it (e.g. "Ġthe"), aligned with {@link #encode}'s ids. */
    public String[] tokens(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false).getTokens();
    }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
