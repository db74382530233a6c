package ai.posemesh.service.inference;

import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.testkit.TinyModels;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Tiny random byte-level LLaMA directories under target/ ({@link TinyModels}, std 0.3 so greedy output varies), written
 * once, loaded into the service by name.
 */
public final class TestModels {

    /** 2 layers, d=32, 4 heads over 2 KV heads, a 4096-token window. */
    public static final String TINY = "tiny";
    /** 1 layer, d=32, 2 heads, max_position_embeddings 262144: long prompts on 2 CPU cores. */
    public static final String LONG = "long";
    /** 2 layers, d=32, 4 heads over 2 KV heads, max_position_embeddings 128: served past its window with max_context. */
    public static final String SHORT = "short";

    private TestModels() {}

    public static Path dir(String name) throws IOException {
        LlamaConfig c = name.equals(LONG)
                ? TinyModels.llama(262144)
                        .layers(1)
                        .heads(2, 2)
                        .rope(RopeParameters.of("linear", 10000.0, Map.of("factor", 64.0)))
                        .config()
                : name.equals(SHORT)
                        ? TinyModels.llama(128).config()
                        : TinyModels.llama(4096).config();
        return TinyModels.writeOnce(
                Path.of("target/test-models", name).toAbsolutePath(), c, name.hashCode(), TinyModels.VARIED_STD);
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
}
