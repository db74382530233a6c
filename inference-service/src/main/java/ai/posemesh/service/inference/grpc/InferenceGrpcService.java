package ai.posemesh.service.inference.grpc;

import ai.posemesh.proto.inference.v1.CountTokensRequest;
import ai.posemesh.proto.inference.v1.CountTokensResponse;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.GetModelInfoRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ListModelsRequest;
import ai.posemesh.proto.inference.v1.ListModelsResponse;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.ScoreResponse;
import ai.posemesh.proto.inference.v1.TokenizeRequest;
import ai.posemesh.proto.inference.v1.TokenizeResponse;
import ai.posemesh.proto.inference.v1.UnloadModelRequest;
import ai.posemesh.proto.inference.v1.UnloadModelResponse;
import ai.posemesh.serve.InferenceEngine;
import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.PromptUpload;
import ai.posemesh.serve.generate.Generation;
import ai.posemesh.serve.generate.GenerationListener;
import ai.posemesh.serve.generate.GenerationResult;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.service.inference.InferenceRuntime;
import ai.posemesh.service.inference.metrics.InferenceMetrics;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import jakarta.inject.Inject;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * The Inference API over {@link InferenceEngine}: translates messages, picks threads, maps errors. Requests are
 * checked, tokenized and admitted on control threads (an over-budget request is refused at once), run on the worker
 * threads, and never touch the gRPC event loop beyond copying upload chunks.
 */
@GrpcService
public class InferenceGrpcService extends InferenceGrpc.InferenceImplBase {

    private static final Logger LOG = Logger.getLogger(InferenceGrpcService.class);

    @Inject
    InferenceRuntime runtime;

    @Inject
    InferenceMetrics metrics;

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
        ResponseStream<GenerateResponse> stream = new ResponseStream<>(observer, runtime.active());
        admit(
                stream,
                () -> runtime.engine()
                        .prepareGeneration(
                                request.getModel(),
                                Messages.prompt(request.getPrompt()),
                                Messages.sampling(request.getSampling())),
                generation(stream));
    }

    @Override
    public StreamObserver<GenerateUploadRequest> generateUpload(StreamObserver<GenerateResponse> observer) {
        ResponseStream<GenerateResponse> stream = new ResponseStream<>(observer, runtime.active());
        return new StreamObserver<>() {
            private PromptUpload upload;
            private boolean over;

            @Override
            public void onNext(GenerateUploadRequest r) {
                if (over) {
                    return;
                }
                try {
                    switch (r.getPartCase()) {
                        case HEADER -> {
                            if (upload != null) {
                                throw invalid("header", "sent twice; send it once, first");
                            }
                            var h = r.getHeader();
                            upload = runtime.engine()
                                    .startUpload(
                                            h.getModel(),
                                            Messages.sampling(h.getSampling()),
                                            !h.hasAddSpecialTokens() || h.getAddSpecialTokens());
                        }
                        case CHUNK -> {
                            if (upload == null) {
                                throw invalid("header", "must come first, before any chunk");
                            }
                            switch (r.getChunk().getKindCase()) {
                                case TEXT -> upload.appendText(r.getChunk().getText());
                                case TOKENS ->
                                    upload.appendIds(Messages.ids(
                                            r.getChunk().getTokens().getIdsList()));
                                case KIND_NOT_SET -> throw invalid("chunk", "holds neither text nor tokens");
                            }
                        }
                        case END -> finish();
                        case PART_NOT_SET -> throw invalid("part", "an upload message holds a header, a chunk or end");
                    }
                } catch (InferenceException e) {
                    over = true;
                    upload = null;
                    stream.fail(e);
                }
            }

            @Override
            public void onError(Throwable t) {
                over = true; // the client went away; the cancel handler frees anything admitted
                upload = null;
            }

            @Override
            public void onCompleted() {
                if (!over) {
                    finish();
                }
            }

            private void finish() {
                over = true;
                if (upload == null) {
                    stream.fail(invalid("header", "no header was sent"));
                    return;
                }
                PromptUpload u = upload;
                upload = null;
                admit(stream, u::finish, generation(stream));
            }
        };
    }

    private Consumer<Generation> generation(ResponseStream<GenerateResponse> stream) {
        return g -> {
            String model = g.model().name();
            metrics.admitted("generate", model, g.promptTokens());
            g.run(
                    new GenerationListener() {
                        @Override
                        public void onPrefill(int done, int total) {
                            stream.send(Messages.prefill(done, total));
                        }

                        @Override
                        public void onToken(int id, String text, double logprob) {
                            stream.send(Messages.token(id, text, logprob));
                        }

                        @Override
                        public void onFinal(GenerationResult result) {
                            metrics.generation(model, result);
                            stream.send(Messages.fin(result));
                        }
                    },
                    stream.cancellation());
        };
    }

    @Override
    public void score(ScoreRequest request, StreamObserver<ScoreResponse> observer) {
        ResponseStream<ScoreResponse> stream = new ResponseStream<>(observer, runtime.active());
        admit(
                stream,
                () -> runtime.engine()
                        .prepareScore(
                                request.getModel(),
                                Messages.prompt(request.getInput()),
                                Messages.scoreOptions(request)),
                s -> {
                    metrics.admitted("score", s.model().name(), s.tokens());
                    s.run(chunk -> stream.send(Messages.score(chunk)), stream.cancellation());
                });
    }

    /** Prepares (checks, tokenizes, admits) on a control thread, then runs on a worker. */
    private <P extends AutoCloseable> void admit(ResponseStream<?> stream, Supplier<P> prepare, Consumer<P> work) {
        try {
            runtime.control().execute(() -> {
                P prepared;
                try {
                    prepared = prepare.get();
                } catch (Throwable t) {
                    stream.fail(t);
                    return;
                }
                stream.run(runtime.workers(), prepared, work);
            });
        } catch (RejectedExecutionException e) {
            stream.fail(busy());
        }
    }

    @Override
    public void countTokens(CountTokensRequest request, StreamObserver<CountTokensResponse> observer) {
        control(observer, () -> {
            InferenceEngine.Count c =
                    runtime.engine().countTokens(request.getModel(), Messages.prompt(request.getPrompt()));
            return CountTokensResponse.newBuilder()
                    .setTokens(c.tokens())
                    .setMaxContext(c.maxContext())
                    .build();
        });
    }

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> observer) {
        control(observer, () -> {
            InferenceEngine.Tokenized t = runtime.engine()
                    .tokenize(
                            request.getModel(),
                            request.getText(),
                            !request.hasAddSpecialTokens() || request.getAddSpecialTokens());
            TokenizeResponse.Builder b = TokenizeResponse.newBuilder().addAllTokens(Arrays.asList(t.tokens()));
            for (long id : t.ids()) {
                b.addIds((int) id);
            }
            return b.build();
        });
    }

    @Override
    public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> observer) {
        unary(observer, () -> info(runtime.registry().get(request.getModel())));
    }

    @Override
    public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
        unary(
                observer,
                () -> ListModelsResponse.newBuilder()
                        .addAllModels(runtime.registry().list().stream()
                                .map(this::info)
                                .toList())
                        .build());
    }

    @Override
    public void loadModel(LoadModelRequest request, StreamObserver<ModelInfo> observer) {
        control(observer, () -> {
            LoadedModel m = runtime.registry()
                    .load(
                            request.getName(),
                            request.getUri(),
                            request.getExpectedManifestSha256(),
                            request.getMaxContext());
            LOG.infof(
                    "loaded model '%s' from %s (max context %d, max_position_embeddings %d)",
                    m.name(), m.uri(), m.maxContext(), m.maxPositionEmbeddings());
            return info(m);
        });
    }

    @Override
    public void unloadModel(UnloadModelRequest request, StreamObserver<UnloadModelResponse> observer) {
        control(observer, () -> {
            runtime.registry().unload(request.getModel());
            LOG.infof("unloaded model '%s'", request.getModel());
            return UnloadModelResponse.getDefaultInstance();
        });
    }

    private ModelInfo info(LoadedModel m) {
        return Messages.modelInfo(m, runtime.engine().budget().capacity());
    }

    /** A unary call on a control thread (tokenizing, loading and unloading are not for the event loop). */
    private <T> void control(StreamObserver<T> observer, Callable<T> call) {
        try {
            runtime.control().execute(() -> unary(observer, call));
        } catch (RejectedExecutionException e) {
            observer.onError(busy());
        }
    }

    private static <T> void unary(StreamObserver<T> observer, Callable<T> call) {
        T result;
        try {
            result = call.call();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            observer.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
            return;
        } catch (Throwable t) {
            observer.onError(GrpcErrors.of(t));
            return;
        }
        observer.onNext(result);
        observer.onCompleted();
    }

    private static InferenceException invalid(String field, String problem) {
        return InferenceException.field(InferenceException.Reason.INVALID_REQUEST, field, problem);
    }

    private static RuntimeException busy() {
        return Status.RESOURCE_EXHAUSTED
                .withDescription("too many requests are being admitted at once; retry")
                .asRuntimeException();
    }
}
