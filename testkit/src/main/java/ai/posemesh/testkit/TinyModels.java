package ai.posemesh.testkit;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * Tiny random byte-level LLaMA checkpoints for tests: complete HF directories (config.json, model.safetensors and the
 * byte-level tokenizer's files), manifest.json when asked (the model library's writer), and byte-level token ids. The shape is the
 * tests' usual one unless told otherwise ({@link #llama}); the weights are {@link Llama#random} from a seed.
 */
public final class TinyModels {

    /**
     * Weights with standard deviation 0.3 instead of {@link Llama#random}'s 0.02: logits far from uniform, so greedy
     * output varies from token to token (serving tests); the 0.02 default is a model that learns (training tests).
     */
    public static final double VARIED_STD = 0.3;

    private TinyModels() {}

    /**
     * A byte-level LLaMA shape with a {@code maxPos}-token window: d=32 (intermediate size HF's default for it), 2
     * layers, 4 heads over 2 KV heads, head dim d / heads, untied embeddings, no biases, RMS eps 1e-6, float32, the
     * byte-level vocabulary and BOS / EOS / PAD, default RoPE (θ 10000).
     */
    public static Shape llama(int maxPos) {
        return new Shape(maxPos);
    }

    /** A {@link #llama} shape changed where a test needs it; {@link #config()} makes the config. */
    public static final class Shape {
        private final int maxPos;
        private int hidden = 32;
        private int layers = 2;
        private int heads = 4;
        private int kvHeads = 2;
        private boolean tied;
        private int eos = ByteLevelTokenizer.EOS;
        private RopeParameters rope = RopeParameters.of("default", 10000.0, Map.of());

        private Shape(int maxPos) {
            this.maxPos = maxPos;
        }

        /** The hidden size (the intermediate size and head dim follow it). */
        public Shape hidden(int hidden) {
            this.hidden = hidden;
            return this;
        }

        public Shape layers(int layers) {
            this.layers = layers;
            return this;
        }

        public Shape heads(int heads, int kvHeads) {
            this.heads = heads;
            this.kvHeads = kvHeads;
            return this;
        }

        /** The output projection shares the embedding's weights. */
        public Shape tied() {
            this.tied = true;
            return this;
        }

        /** Another EOS id than the byte-level tokenizer's. */
        public Shape eos(int eos) {
            this.eos = eos;
            return this;
        }

        public Shape rope(RopeParameters rope) {
            this.rope = rope;
            return this;
        }

        public LlamaConfig config() {
            return new LlamaConfig(
                    ByteLevelTokenizer.VOCAB_SIZE,
                    hidden,
                    LlamaConfig.defaultIntermediateSize(hidden),
                    layers,
                    heads,
                    kvHeads,
                    hidden / heads,
                    maxPos,
                    1e-6,
                    tied,
                    false,
                    false,
                    ByteLevelTokenizer.BOS,
                    new int[] {eos},
                    ByteLevelTokenizer.PAD,
                    "float32",
                    rope);
        }
    }

    /** Writes a random model ({@link Llama#random}'s standard deviation) to {@code dir}; see {@link #save}. */
    public static Path write(Path dir, LlamaConfig config, long seed) throws IOException {
        return writeRandom(dir, config, seed, null);
    }

    /** Writes a random model with weights of standard deviation {@code std} ({@link #VARIED_STD}). */
    public static Path write(Path dir, LlamaConfig config, long seed, double std) throws IOException {
        return writeRandom(dir, config, seed, std);
    }

    /**
     * As {@link #write(Path, LlamaConfig, long)} unless {@code dir} already holds a config.json (a directory the tests
     * of one run share: written once).
     */
    public static synchronized Path writeOnce(Path dir, LlamaConfig config, long seed) throws IOException {
        return Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG)) ? dir : writeRandom(dir, config, seed, null);
    }

    /** As {@link #write(Path, LlamaConfig, long, double)} unless {@code dir} already holds a config.json. */
    public static synchronized Path writeOnce(Path dir, LlamaConfig config, long seed, double std) throws IOException {
        return Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG)) ? dir : writeRandom(dir, config, seed, std);
    }

    private static Path writeRandom(Path dir, LlamaConfig config, long seed, Double std) throws IOException {
        Files.createDirectories(dir);
        try (NDManager m = Engines.newManager();
                Llama model = std == null
                        ? Llama.random(config, seed, m.newSubManager())
                        : Llama.random(config, seed, std, m.newSubManager())) {
            return save(model, dir);
        }
    }

    /**
     * A model as a complete HF directory: config.json and model.safetensors (float32), and the byte-level
     * tokenizer's files for its window.
     */
    public static Path save(Llama model, Path dir) throws IOException {
        HfCheckpoint.save(model, dir, DataType.FLOAT32);
        ByteLevelTokenizer.write(dir, model.config().maxPositionEmbeddings());
        return dir;
    }

    /**
     * Writes manifest.json as the trainer does ({@link CheckpointManifest#write}: {@code step}, then the sha256 of
     * every other file).
     *
     * @return the manifest's sha256 (a checkpoint's identity)
     */
    public static String writeManifest(Path dir, int step) throws IOException {
        return CheckpointManifest.write(
                dir, ConfigJson.MAPPER.createObjectNode().put("step", step));
    }

    /** {@code n} byte-level token ids: BOS, then random bytes. */
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
