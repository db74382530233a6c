package ai.posemesh.model;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.llama.Llama;
import java.util.Map;
import java.util.Random;

/** Tiny random models and token sequences for tests. */
public final class TinyModels {

    private TinyModels() {}

    public static LlamaConfig config(int heads, int kvHeads, boolean tie, RopeParameters rope) {
        return new LlamaConfig(
                259,
                64,
                128,
                2,
                heads,
                kvHeads,
                64 / heads,
                64,
                1e-6,
                tie,
                false,
                false,
                256,
                new int[] {257},
                258,
                "float32",
                rope);
    }

    public static LlamaConfig gqa() {
        return config(4, 2, false, RopeParameters.of("default", 10000.0, Map.of()));
    }

    public static Llama random(LlamaConfig config, long seed, NDManager parent) {
        return Llama.random(config, seed, parent.newSubManager());
    }

    public static long[] ids(int n, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[n];
        ids[0] = 256;
        for (int i = 1; i < n; i++) {
            ids[i] = r.nextInt(256);
        }
        return ids;
    }
}
