package ai.posemesh.evaluation;

import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GetModelInfoRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.ScoreResponse;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.proto.inference.v1.TokenizeRequest;
import ai.posemesh.proto.inference.v1.TokenizeResponse;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * An inference service over gRPC ({@code posemesh.inference.v1.Inference}): {@code GetModelInfo} for the identity,
 * {@code Tokenize} for text, {@code Score} (one pass, no server-side window) for logprobs, {@code Generate} with
 * temperature 0 and {@code ignore_eos} for greedy generation. The service computes with the same model library
 * ({@code TokenScorer}, {@code GreedyDecoder.argmax} over the same cached sequence), so with the same prefill chunk the
 * numbers equal {@link InProcessBackend}'s exactly.
 *
 * <p>The service refuses sequences longer than the model's {@code max_context} (OUT_OF_RANGE), so
 * {@link #sequenceLimit()} is {@code max_context} and the suites refuse such lengths before the first request. That is
 * max_position_embeddings unless the model was loaded with a larger {@code max_context} (LoadModel), which lets the
 * service run it past its window (a base model's perplexity there). gRPC
 * failures reach the caller as {@code io.grpc.StatusRuntimeException} (with the service's {@code google.rpc.ErrorInfo}).
 * Generated text is the concatenation of the service's token texts (the service detokenizes; there is no decode RPC).
 */
public final class RemoteBackend implements EvalBackend {

    /** Responses as large as a whole document's token ids. */
    static final int MAX_INBOUND_BYTES = 64 << 20;

    private final InferenceGrpc.InferenceBlockingStub stub;
    private final String requestedName;
    private final EvalModel identity;
    private final int maxContext;
    private final ManagedChannel owned;

    /**
     * Over a channel the caller owns; asks the service about {@code model} at once.
     *
     * @param model the served model's name; "" for the service's only (first loaded) model
     */
    public RemoteBackend(Channel channel, String model) {
        this(channel, model, null);
    }

    private RemoteBackend(Channel channel, String model, ManagedChannel owned) {
        this.owned = owned;
        this.requestedName = model == null ? "" : model;
        this.stub = InferenceGrpc.newBlockingStub(channel).withMaxInboundMessageSize(MAX_INBOUND_BYTES);
        ModelInfo info = stub.getModelInfo(
                GetModelInfoRequest.newBuilder().setModel(requestedName).build());
        var rope = info.getArchitecture().getRope();
        // the served context: max_position_embeddings, or the LoadModel max_context override (past the window for a
        // base measured there); base_context stays the model's pre-training window either way
        this.maxContext = info.getMaxContext();
        this.identity = new EvalModel(
                info.getName(),
                info.getManifestSha256(),
                rope.getRopeType().isEmpty() ? "default" : rope.getRopeType(),
                rope.hasFactor() ? rope.getFactor() : 1.0,
                info.getMaxContext(),
                info.getBaseContext(),
                info.getBosTokenId());
    }

    /**
     * Opens a plaintext channel to {@code target} ({@code HOST:PORT} or a gRPC target URI) that {@link #close()} shuts
     * down.
     */
    public static RemoteBackend connect(String target, String model) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(target)
                .usePlaintext()
                .maxInboundMessageSize(MAX_INBOUND_BYTES)
                .build();
        try {
            return new RemoteBackend(ch, model, ch);
        } catch (RuntimeException e) {
            shutdown(ch);
            throw e;
        }
    }

    @Override
    public EvalModel model() {
        return identity;
    }

    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        TokenizeResponse r = stub.tokenize(TokenizeRequest.newBuilder()
                .setModel(requestedName)
                .setText(text)
                .setAddSpecialTokens(addSpecialTokens)
                .build());
        long[] ids = new long[r.getIdsCount()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = r.getIds(i);
        }
        return ids;
    }

    @Override
    public int sequenceLimit() {
        return maxContext;
    }

    @Override
    public double[] score(long[] ids) {
        Iterator<ScoreResponse> it = stub.score(ScoreRequest.newBuilder()
                .setModel(requestedName)
                .setInput(Prompt.newBuilder().setTokens(tokens(ids)))
                .build());
        double[] lp = new double[Math.max(0, ids.length - 1)];
        int next = 0;
        while (it.hasNext()) {
            ScoreResponse r = it.next();
            if (r.getFirstTarget() != next || next + r.getLogprobsCount() > lp.length) {
                throw new IllegalStateException("Score stream out of order: targets from " + r.getFirstTarget() + " ("
                        + r.getLogprobsCount() + ") after " + next + " of " + lp.length);
            }
            for (int i = 0; i < r.getLogprobsCount(); i++) {
                lp[next++] = r.getLogprobs(i);
            }
        }
        if (next != lp.length) {
            throw new IllegalStateException("Score stream ended after " + next + " of " + lp.length + " targets");
        }
        return lp;
    }

    @Override
    public Generated greedy(long[] prompt, int maxNewTokens) {
        Iterator<GenerateResponse> it = stub.generate(GenerateRequest.newBuilder()
                .setModel(requestedName)
                .setPrompt(Prompt.newBuilder().setTokens(tokens(prompt)))
                .setSampling(SamplingParams.newBuilder()
                        .setMaxNewTokens(maxNewTokens)
                        .setTemperature(0)
                        .setIgnoreEos(true))
                .build());
        long[] ids = new long[maxNewTokens];
        int n = 0;
        StringBuilder text = new StringBuilder();
        boolean ended = false;
        while (it.hasNext()) {
            GenerateResponse r = it.next();
            if (r.hasToken()) {
                if (n == ids.length) {
                    ids = Arrays.copyOf(ids, n + 1);
                }
                ids[n++] = r.getToken().getId();
                text.append(r.getToken().getText());
            } else if (r.hasFinal()) {
                if (r.getFinal().getFinishReason() == FinishReason.FINISH_REASON_CANCELLED) {
                    throw new IllegalStateException("the service cancelled the generation after " + n + " tokens");
                }
                ended = true;
            }
        }
        if (!ended) {
            throw new IllegalStateException("Generate stream ended without its Final message");
        }
        return new Generated(Arrays.copyOf(ids, n), text.toString());
    }

    private static TokenIds tokens(long[] ids) {
        TokenIds.Builder b = TokenIds.newBuilder();
        for (long id : ids) {
            if (id < 0 || id > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("token id " + id + " does not fit the API's int32");
            }
            b.addIds((int) id);
        }
        return b.build();
    }

    @Override
    public void close() {
        if (owned != null) {
            shutdown(owned);
        }
    }

    private static void shutdown(ManagedChannel ch) {
        ch.shutdownNow();
        try {
            ch.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return identity.name() + " (remote)";
    }
}
