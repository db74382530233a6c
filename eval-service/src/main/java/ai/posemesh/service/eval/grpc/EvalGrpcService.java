package ai.posemesh.service.eval.grpc;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.proto.eval.v1.EvalGrpc;
import ai.posemesh.proto.eval.v1.EvalState;
import ai.posemesh.proto.eval.v1.EvalUpdate;
import ai.posemesh.proto.eval.v1.GetReportRequest;
import ai.posemesh.proto.eval.v1.GetReportResponse;
import ai.posemesh.proto.eval.v1.ListReportsRequest;
import ai.posemesh.proto.eval.v1.ListReportsResponse;
import ai.posemesh.proto.eval.v1.RunSuiteRequest;
import ai.posemesh.proto.eval.v1.RunSuiteResponse;
import ai.posemesh.proto.eval.v1.WatchEvalRequest;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Outcome;
import ai.posemesh.proto.inference.v1.GetModelInfoRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.service.eval.EvalRuntime;
import ai.posemesh.service.eval.pipeline.OnDemand;
import ai.posemesh.service.eval.pipeline.Suites;
import ai.posemesh.service.eval.pipeline.Target;
import ai.posemesh.service.eval.pipeline.Tracker;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The Eval API: a thin adapter over the runtime's on-demand runner, tracker and results view. */
@GrpcService
@Blocking
public class EvalGrpcService extends EvalGrpc.EvalImplBase {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    @Inject
    EvalRuntime runtime;

    @Override
    public void runSuite(RunSuiteRequest req, StreamObserver<RunSuiteResponse> out) {
        try {
            SuiteConfig defaults = runtime.suite();
            if (defaults == null || !runtime.initialized()) {
                throw Status.UNAVAILABLE
                        .withDescription("eval-service is not ready: " + runtime.initError())
                        .asRuntimeException();
            }
            SuiteConfig suite;
            try {
                suite = req.hasSuite() ? Suites.override(defaults, req.getSuite()) : defaults;
            } catch (IllegalArgumentException e) {
                throw invalid("suite", e.getMessage());
            }
            Target target = target(req);
            String sha = target.model().getManifestSha256();
            EvalCompleted done = runtime.view().done(sha, suite.sha256());
            if (done != null && !req.getForce()) {
                out.onNext(RunSuiteResponse.newBuilder()
                        .setEvaluationId(done.getEvaluationId())
                        .setExisting(true)
                        .build());
            } else {
                out.onNext(RunSuiteResponse.newBuilder()
                        .setEvaluationId(runtime.onDemand().submit(target, suite))
                        .build());
            }
            out.onCompleted();
        } catch (StatusRuntimeException e) {
            out.onError(e);
        }
    }

    private Target target(RunSuiteRequest req) {
        switch (req.getTargetCase()) {
            case MODEL -> {
                if (req.getModel().isBlank()) {
                    throw invalid("model", "empty: name a model loaded on the inference service");
                }
                ModelInfo info;
                try {
                    info = runtime.inference()
                            .stub()
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .getModelInfo(GetModelInfoRequest.newBuilder()
                                    .setModel(req.getModel())
                                    .build());
                } catch (StatusRuntimeException e) {
                    throw (e.getStatus().getCode() == Status.Code.NOT_FOUND
                                    ? Status.NOT_FOUND.withDescription(
                                            "model: '" + req.getModel() + "' is not loaded on the inference service")
                                    : Status.UNAVAILABLE.withDescription("inference service: "
                                            + e.getStatus().getDescription()))
                            .asRuntimeException();
                }
                String sha = info.getManifestSha256();
                if (sha.isEmpty()) {
                    throw Status.FAILED_PRECONDITION
                            .withDescription("model: '" + req.getModel() + "' has no manifest.json on the inference"
                                    + " service, so it has no identity to file results under; run it as a checkpoint"
                                    + " with a manifest")
                            .asRuntimeException();
                }
                return OnDemand.named(req.getModel(), sha, info.getUri());
            }
            case CHECKPOINT -> {
                var c = req.getCheckpoint();
                if (c.getUri().isBlank()
                        || !(c.getUri().startsWith("file:") || c.getUri().startsWith("/"))) {
                    throw invalid(
                            "checkpoint.uri", "must be a file:// URI or an absolute path, got '" + c.getUri() + "'");
                }
                if (!SHA256.matcher(c.getManifestSha256()).matches()) {
                    throw invalid("checkpoint.manifest_sha256", "must be 64 lowercase hex digits");
                }
                return OnDemand.checkpoint(c.getUri(), c.getManifestSha256());
            }
            default -> throw invalid("target", "set model or checkpoint");
        }
    }

    @Override
    public void watchEval(WatchEvalRequest req, StreamObserver<EvalUpdate> out) {
        String id = req.getEvaluationId();
        ServerCallStreamObserver<EvalUpdate> call = (ServerCallStreamObserver<EvalUpdate>) out;
        Object lock = new Object();
        boolean[] ended = {false};
        AutoCloseable handle = runtime.tracker().watch(id, u -> {
            synchronized (lock) {
                if (ended[0] || call.isCancelled()) {
                    return;
                }
                out.onNext(u);
                if (Tracker.terminal(u.getState())) {
                    ended[0] = true;
                    out.onCompleted();
                }
            }
        });
        call.setOnCancelHandler(() -> close(handle));
        synchronized (lock) {
            EvalUpdate now = runtime.tracker().latest(id);
            if (now != null) {
                out.onNext(now);
                return;
            }
            EvalCompleted done = runtime.view().byId(id);
            close(handle);
            if (ended[0]) {
                return;
            }
            ended[0] = true;
            if (done == null) {
                out.onError(Status.NOT_FOUND
                        .withDescription("evaluation_id: no evaluation '" + id + "'")
                        .asRuntimeException());
                return;
            }
            out.onNext(EvalUpdate.newBuilder()
                    .setEvaluationId(id)
                    .setState(
                            done.getOutcome() == Outcome.OUTCOME_SUCCEEDED
                                    ? EvalState.EVAL_STATE_SUCCEEDED
                                    : EvalState.EVAL_STATE_FAILED)
                    .setResult(done)
                    .setReason(done.getReason())
                    .build());
            out.onCompleted();
        }
    }

    @Override
    public void getReport(GetReportRequest req, StreamObserver<GetReportResponse> out) {
        EvalCompleted done = runtime.view().byId(req.getEvaluationId());
        if (done == null) {
            out.onError(Status.NOT_FOUND
                    .withDescription("evaluation_id: no finished evaluation '" + req.getEvaluationId() + "'")
                    .asRuntimeException());
            return;
        }
        out.onNext(GetReportResponse.newBuilder().setResult(done).build());
        out.onCompleted();
    }

    @Override
    public void listReports(ListReportsRequest req, StreamObserver<ListReportsResponse> out) {
        ListReportsResponse.Builder r = ListReportsResponse.newBuilder();
        for (EvalCompleted e : runtime.view().all()) {
            if (req.getJobId().isEmpty() || req.getJobId().equals(e.getModel().getJobId())) {
                r.addResults(e);
            }
        }
        out.onNext(r.build());
        out.onCompleted();
    }

    /** INVALID_ARGUMENT "field: reason" with a google.rpc.BadRequest naming the field. */
    static StatusRuntimeException invalid(String field, String reason) {
        return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage(field + ": " + reason)
                .addDetails(Any.pack(BadRequest.newBuilder()
                        .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                                .setField(field)
                                .setDescription(reason))
                        .build()))
                .build());
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing to release
        }
    }
}
