package ai.posemesh.service.eval.inference;

import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ListModelsRequest;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.UnloadModelRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.concurrent.TimeUnit;

/**
 * The inference service as eval-service uses it: one plaintext channel to {@code posemesh.eval.inference.endpoint}.
 * The channel reconnects by itself; {@link #wakeUp()} cuts its reconnect back-off short, so a service that comes up
 * late is used as soon as the next try.
 */
public final class InferenceClient implements AutoCloseable {

    private final String endpoint;
    private final ManagedChannel channel;

    public InferenceClient(String endpoint) {
        this.endpoint = endpoint;
        this.channel = ManagedChannelBuilder.forTarget(endpoint)
                .usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024)
                .build();
    }

    public String endpoint() {
        return endpoint;
    }

    public ManagedChannel channel() {
        return channel;
    }

    public InferenceGrpc.InferenceBlockingStub stub() {
        return InferenceGrpc.newBlockingStub(channel);
    }

    /** Whether the service answers (ListModels within 3 s). */
    public boolean answers() {
        try {
            stub().withDeadlineAfter(3, TimeUnit.SECONDS).listModels(ListModelsRequest.getDefaultInstance());
            return true;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    public void wakeUp() {
        channel.resetConnectBackoff();
    }

    /**
     * Loads a directory under a name; a model of that name already there is taken as it is (the name says what: a
     * caller that loads with a max-context override puts it in the name).
     *
     * @param maxContext the context to serve it with (LoadModel max_context): 0 = its max_position_embeddings; larger
     *     serves it past its window
     */
    public ModelInfo load(String name, String uri, String expectedManifestSha256, int maxContext) {
        LoadModelRequest.Builder r =
                LoadModelRequest.newBuilder().setName(name).setUri(uri).setMaxContext(maxContext);
        if (expectedManifestSha256 != null) {
            r.setExpectedManifestSha256(expectedManifestSha256);
        }
        try {
            return stub().loadModel(r.build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
                return stub().getModelInfo(ai.posemesh.proto.inference.v1.GetModelInfoRequest.newBuilder()
                        .setModel(name)
                        .build());
            }
            throw e;
        }
    }

    /** Unloads quietly: a model already gone is fine, and a failure here never fails an evaluation. */
    public void unload(String name) {
        try {
            stub().withDeadlineAfter(30, TimeUnit.SECONDS)
                    .unloadModel(UnloadModelRequest.newBuilder().setModel(name).build());
        } catch (StatusRuntimeException e) {
            // NOT_FOUND: gone already; anything else: the service restarted or is going away
        }
    }

    /** The google.rpc.ErrorInfo reason of a status (e.g. MANIFEST_MISMATCH), or the status code's name. */
    public static String reason(StatusRuntimeException e) {
        try {
            com.google.rpc.Status s = StatusProto.fromThrowable(e);
            if (s != null) {
                for (com.google.protobuf.Any a : s.getDetailsList()) {
                    if (a.is(com.google.rpc.ErrorInfo.class)) {
                        return a.unpack(com.google.rpc.ErrorInfo.class).getReason();
                    }
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
            // fall back to the code
        }
        return e.getStatus().getCode().name();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
