package ai.posemesh.serve;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Tiny random byte-level LLaMA checkpoints (complete HF directories) and token sequences for tests. */
public final class TinyCheckpoints {

    private TinyCheckpoints() {}

    /** 2 layers, d=32, 4 heads over 2 KV heads, default RoPE, byte-level vocabulary (EOS {@code eos}). */
    public static LlamaConfig config(int maxPos, int eos) {
        return new LlamaConfig(
                ByteLevelTokenizer.VOCAB_SIZE,
                32,
                LlamaConfig.defaultIntermediateSize(32),
                2,
                4,
                2,
                8,
                maxPos,
                1e-6,
                false,
                false,
                false,
                ByteLevelTokenizer.BOS,
                new int[] {eos},
                ByteLevelTokenizer.PAD,
                "float32",
                RopeParameters.of("default", 10000.0, Map.of()));
    }

    /** Writes a random model (std 0.3, so greedy output varies) with config.json, weights and tokenizer files. */
    public static Path write(Path dir, LlamaConfig config, long seed) throws IOException {
        Files.createDirectories(dir);
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(config, seed, 0.3, m.newSubManager())) {
            HfCheckpoint.save(model, dir, DataType.FLOAT32);
            ByteLevelTokenizer.write(dir, config.maxPositionEmbeddings());
        }
        return dir;
    }

    /** BOS then random bytes. */
    public static long[] ids(int n, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[n];
        ids[0] = ByteLevelTokenizer.BOS;
        for (int i = 1; i < n; i++) {
            ids[i] = r.nextInt(256);
        }
        return ids;
    }
}
