package ai.posemesh.service.inference;

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
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Tiny random byte-level LLaMA directories under target/, written once, loaded into the service by name. */
public final class TestModels {

    /** 2 layers, d=32, 4 heads over 2 KV heads, a 4096-token window. */
    public static final String TINY = "tiny";
    /** 1 layer, d=32, 2 heads, max_position_embeddings 262144: long prompts on 2 CPU cores. */
    public static final String LONG = "long";

    private TestModels() {}

    public static synchronized Path dir(String name) throws IOException {
        Path dir = Path.of("target/test-models", name).toAbsolutePath();
        if (!Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG))) {
            LlamaConfig c = name.equals(LONG)
                    ? config(1, 2, 2, 262144, RopeParameters.of("linear", 10000.0, Map.of("factor", 64.0)))
                    : config(2, 4, 2, 4096, RopeParameters.of("default", 10000.0, Map.of()));
            write(dir, c, name.hashCode());
        }
        return dir;
    }

    static LlamaConfig config(int layers, int heads, int kvHeads, int maxPos, RopeParameters rope) {
        return new LlamaConfig(
                ByteLevelTokenizer.VOCAB_SIZE,
                32,
                LlamaConfig.defaultIntermediateSize(32),
                layers,
                heads,
                kvHeads,
                32 / heads,
                maxPos,
                1e-6,
                false,
                false,
                false,
                ByteLevelTokenizer.BOS,
                new int[] {ByteLevelTokenizer.EOS},
                ByteLevelTokenizer.PAD,
                "float32",
                rope);
    }

    /** std 0.3 weights, so greedy output varies from token to token. */
    static void write(Path dir, LlamaConfig config, long seed) throws IOException {
        Files.createDirectories(dir);
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(config, seed, 0.3, m.newSubManager())) {
            HfCheckpoint.save(model, dir, DataType.FLOAT32);
            ByteLevelTokenizer.write(dir, config.maxPositionEmbeddings());
        }
    }

    /** Loads the model into the service unless a model of that name is there already. */
    public static void ensureLoaded(InferenceGrpc.InferenceBlockingStub inference, String name) throws IOException {
        try {
            inference.loadModel(LoadModelRequest.newBuilder()
                    .setName(name)
                    .setUri(dir(name).toUri().toString())
                    .build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw e;
            }
        }
    }

    /** Writes manifest.json as the trainer does (sha256 of every other file) and returns its sha256. */
    public static String writeManifest(Path dir) throws Exception {
        return CheckpointManifest.write(
                dir, ConfigJson.MAPPER.createObjectNode().put("step", 7));
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
