package ai.posemesh.service.trainer;

import ai.posemesh.testkit.TinyCorpus;
import ai.posemesh.testkit.TinyModels;
import java.io.IOException;
import java.nio.file.Path;

/** Tiny real inputs for the tests: a random byte-level LLaMA as an HF directory, and a JSONL corpus. */
public final class TestModels {

    private TestModels() {}

    /** A 2-layer, d=32 LLaMA with a {@code maxPos}-token window (default RoPE), written once per directory. */
    public static Path tinyModel(Path dir, int maxPos) throws IOException {
        return TinyModels.writeOnce(dir, TinyModels.llama(maxPos).config(), 7);
    }

    /** {@code docs} documents of {@code chars} characters each (byte-level: one token per character). */
    public static Path corpus(Path file, int docs, int chars) throws IOException {
        return TinyCorpus.write(file, docs, chars, 11);
    }
}
