package ai.posemesh.service.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.evaluation.report.ReportWriter;
import ai.posemesh.proto.eval.v1.EvalGrpc;
import ai.posemesh.proto.eval.v1.EvalState;
import ai.posemesh.proto.eval.v1.EvalUpdate;
import ai.posemesh.proto.eval.v1.GetReportRequest;
import ai.posemesh.proto.eval.v1.ListReportsRequest;
import ai.posemesh.proto.eval.v1.RunSuiteRequest;
import ai.posemesh.proto.eval.v1.RunSuiteResponse;
import ai.posemesh.proto.eval.v1.WatchEvalRequest;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Outcome;
import ai.posemesh.proto.events.v1.PasskeySuite;
import ai.posemesh.proto.events.v1.PerplexitySuite;
import ai.posemesh.proto.events.v1.SuiteConfig;
import ai.posemesh.proto.events.v1.Trigger;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ListModelsRequest;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.testkit.KafkaTestResource;
import com.google.rpc.BadRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.function.Executable;

/**
 * The Eval API on demand, over the same broker, inference-service child JVM and tiny suites as {@link EvalFlowTest}
 * (the same test resources, so the same application; Quarkus' class orderer runs this class after EvalFlowTest,
 * which needs inference down at its start): RunSuite on a model loaded on inference by name runs, WatchEval streams
 * its progress and ends with the result, GetReport and ListReports return it, {@code force} runs it again, and bad
 * input gets a clear status.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(InferenceProcess.class)
@WithTestResource(TestSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvalOnDemandTest {

    static final String NAME = "ondemand-tiny";

    static ManagedChannel evalChannel;
    static ManagedChannel inferenceChannel;
    static Path model;
    static String sha;
    static RunSuiteRequest request;
    static String id;
    static EvalCompleted first;

    /** Inference up (started here when this class runs alone), the tiny model with a manifest loaded by name. */
    static synchronized void setUp() throws Exception {
        if (evalChannel != null) {
            return;
        }
        model = TestModels.model("ondemand-checkpoint", 4, 7);
        sha = TestModels.manifestSha(model);
        InferenceProcess.start(Path.of("target/test-inference.log").toAbsolutePath());
        inferenceChannel = ManagedChannelBuilder.forAddress("localhost", InferenceProcess.port())
                .usePlaintext()
                .build();
        evalChannel = ManagedChannelBuilder.forAddress("localhost", 19083)
                .usePlaintext()
                .build();
        var inference = InferenceGrpc.newBlockingStub(inferenceChannel);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            try {
                inference.withDeadlineAfter(3, TimeUnit.SECONDS).listModels(ListModelsRequest.getDefaultInstance());
                break;
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() > end) {
                    throw new AssertionError("inference-service does not answer", e);
                }
                Thread.sleep(250);
            }
        }
        ModelInfo info = inference
                .withDeadlineAfter(60, TimeUnit.SECONDS)
                .loadModel(LoadModelRequest.newBuilder()
                        .setName(NAME)
                        .setUri(model.toUri().toString())
                        .setExpectedManifestSha256(sha)
                        .build());
        assertEquals(sha, info.getManifestSha256());
        // a suite of its own (not the defaults): perplexity at 16 and 32 over two documents, passkey as configured
        request = RunSuiteRequest.newBuilder()
                .setModel(NAME)
                .setSuite(SuiteConfig.newBuilder()
                        .setPerplexity(PerplexitySuite.newBuilder()
                                .addLengths(32)
                                .addLengths(16)
                                .setDocs(2)))
                .build();
    }

    @AfterAll
    static void tearDown() {
        if (evalChannel != null) {
            evalChannel.shutdownNow();
            inferenceChannel.shutdownNow();
        }
    }

    static EvalGrpc.EvalBlockingStub eval() {
        return EvalGrpc.newBlockingStub(evalChannel).withDeadlineAfter(180, TimeUnit.SECONDS);
    }

    /** Every update of the stream, until it completes. */
    static List<EvalUpdate> watch(String evaluationId) {
        List<EvalUpdate> updates = new ArrayList<>();
        Iterator<EvalUpdate> it = eval().watchEval(WatchEvalRequest.newBuilder()
                .setEvaluationId(evaluationId)
                .build());
        it.forEachRemaining(updates::add);
        return updates;
    }

    /** Non-terminal updates of this evaluation, then exactly one terminal update that carries the result. */
    static EvalCompleted assertStreamedToTheEnd(String evaluationId, List<EvalUpdate> updates) {
        assertFalse(updates.isEmpty());
        updates.forEach(u -> assertEquals(evaluationId, u.getEvaluationId()));
        for (EvalUpdate u : updates.subList(0, updates.size() - 1)) {
            assertTrue(
                    u.getState() == EvalState.EVAL_STATE_QUEUED || u.getState() == EvalState.EVAL_STATE_RUNNING,
                    "only the last update is terminal: " + updates);
        }
        EvalUpdate last = updates.get(updates.size() - 1);
        assertEquals(EvalState.EVAL_STATE_SUCCEEDED, last.getState(), last.getReason());
        assertTrue(last.hasResult());
        assertEquals(evaluationId, last.getResult().getEvaluationId());
        return last.getResult();
    }

    @Test
    @Order(1)
    void runSuiteOnAModelLoadedByNameStreamsItsProgressToTheResult() throws Exception {
        setUp();
        RunSuiteResponse r = eval().runSuite(request);
        assertFalse(r.getExisting(), "never evaluated");
        id = r.getEvaluationId();
        assertTrue(id.startsWith("eval-" + sha.substring(0, 12) + "-"), id);

        List<EvalUpdate> updates = watch(id);
        first = assertStreamedToTheEnd(id, updates);
        // the watch starts right after RunSuite answers and the run takes about a second, so progress arrives; which
        // stages it catches depends on timing, so every progress update must be well-formed and at least one must come
        assertTrue(updates.size() >= 2, "progress, then the result: " + updates);
        assertTrue(
                updates.stream().anyMatch(u -> u.getState() == EvalState.EVAL_STATE_RUNNING),
                "progress while running: " + updates);
        updates.stream()
                .filter(u -> u.getState() == EvalState.EVAL_STATE_RUNNING && u.getTotal() > 0)
                .forEach(u -> {
                    assertTrue(
                            u.getStage().startsWith(NAME + ": perplexity ")
                                    || u.getStage().startsWith(NAME + ": passkey "),
                            "a stage of a suite: " + u);
                    assertTrue(u.getDone() <= u.getTotal(), "done <= total: " + u);
                });

        assertEquals(Outcome.OUTCOME_SUCCEEDED, first.getOutcome());
        assertEquals(Trigger.TRIGGER_ON_DEMAND, first.getTrigger());
        assertEquals(NAME, first.getModel().getCheckpointId());
        assertEquals(sha, first.getModel().getManifestSha256());
        assertEquals(model.toUri().toString(), first.getModel().getUri());
        assertFalse(first.hasBaseline(), "a model by name has no base");
        assertEquals(List.of(16, 32), first.getSuiteConfig().getPerplexity().getLengthsList());
        assertEquals(
                List.of(16, 32),
                first.getPerplexityList().stream().map(p -> p.getLength()).toList());
        first.getPerplexityList().forEach(p -> {
            assertTrue(p.getPpl() > 1 && Double.isFinite(p.getPpl()), "ppl " + p);
            assertEquals(2, p.getDocs());
        });
        assertEquals(1, first.getPasskeyCount(), "the default passkey suite kept");
        assertEquals(384, first.getPasskey(0).getLength());
        assertEquals(2, first.getPasskey(0).getTrials());
        Path report = Path.of("target/test-reports").resolve(first.getReportPath());
        assertTrue(Files.isRegularFile(report.resolve(ReportWriter.RESULTS)), report + " written");
        assertTrue(Files.isRegularFile(report.resolve(ReportWriter.INDEX)));

        var loaded = InferenceGrpc.newBlockingStub(inferenceChannel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .listModels(ListModelsRequest.getDefaultInstance());
        assertTrue(
                loaded.getModelsList().stream().anyMatch(m -> m.getName().equals(NAME)),
                "a model by name stays loaded");
    }

    @Test
    @Order(2)
    void theFinishedEvaluationIsReadableWatchableAndNotRunAgain() throws Exception {
        setUp();
        assertNotNull(first, "runs after the evaluation");
        assertEquals(
                first,
                eval().getReport(GetReportRequest.newBuilder()
                                .setEvaluationId(id)
                                .build())
                        .getResult());

        List<EvalCompleted> all =
                eval().listReports(ListReportsRequest.getDefaultInstance()).getResultsList();
        assertEquals(1, all.stream().filter(e -> e.getEvaluationId().equals(id)).count(), "listed once: " + all);
        assertEquals(
                first,
                all.stream()
                        .filter(e -> e.getEvaluationId().equals(id))
                        .findFirst()
                        .orElseThrow());
        assertTrue(
                eval()
                        .listReports(ListReportsRequest.newBuilder()
                                .setJobId(EvalFlowTest.JOB)
                                .build())
                        .getResultsList()
                        .stream()
                        .noneMatch(e -> e.getEvaluationId().equals(id)),
                "not a result of the job");

        List<EvalUpdate> finished = watch(id);
        assertEquals(1, finished.size(), "a finished evaluation answers with its final update only");
        assertEquals(first, assertStreamedToTheEnd(id, finished));

        RunSuiteResponse again = eval().runSuite(request);
        assertTrue(again.getExisting(), "already evaluated under this suite");
        assertEquals(id, again.getEvaluationId());
    }

    @Test
    @Order(3)
    void forceRunsItAgain() throws Exception {
        setUp();
        assertNotNull(first, "runs after the evaluation");
        RunSuiteResponse r = eval().runSuite(request.toBuilder().setForce(true).build());
        assertFalse(r.getExisting(), "force runs it");
        assertEquals(id, r.getEvaluationId(), "same model, same suite: same id");

        List<EvalUpdate> updates = watch(id);
        EvalCompleted rerun = assertStreamedToTheEnd(id, updates);
        assertTrue(updates.size() > 1, "streamed while it ran again: " + updates);
        assertNotEquals(first, rerun);
        assertTrue(
                rerun.getTimings().getStartedAtMs() >= first.getTimings().getFinishedAtMs(),
                "a second run, after the first");
        assertEquals(first.getPerplexityList(), rerun.getPerplexityList(), "the same model scores the same");
        assertEquals(
                rerun,
                eval().getReport(GetReportRequest.newBuilder()
                                .setEvaluationId(id)
                                .build())
                        .getResult());
        List<EvalCompleted> all =
                eval().listReports(ListReportsRequest.getDefaultInstance()).getResultsList();
        assertEquals(
                List.of(rerun),
                all.stream().filter(e -> e.getEvaluationId().equals(id)).toList(),
                "listed once, the latest run");
    }

    static StatusRuntimeException fails(Status.Code code, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
        return e;
    }

    /** INVALID_ARGUMENT "field: reason" with a google.rpc.BadRequest naming the field. */
    static void invalid(String field, String descriptionPrefix, Executable call) throws Exception {
        StatusRuntimeException e = fails(Status.Code.INVALID_ARGUMENT, call);
        assertTrue(
                e.getStatus().getDescription().startsWith(descriptionPrefix),
                e.getStatus().getDescription());
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        assertNotNull(s, "a google.rpc.Status");
        BadRequest br = s.getDetails(0).unpack(BadRequest.class);
        assertEquals(field, br.getFieldViolations(0).getField());
    }

    @Test
    @Order(4)
    void badInputGetsAClearStatus() throws Exception {
        setUp();
        StatusRuntimeException nf = fails(
                Status.Code.NOT_FOUND,
                () -> eval().runSuite(
                                request.toBuilder().setModel("no-such-model").build()));
        assertTrue(
                nf.getStatus().getDescription().contains("'no-such-model'"),
                nf.getStatus().getDescription());
        assertTrue(nf.getStatus().getDescription().startsWith("model:"));

        invalid(
                "model",
                "model: empty",
                () -> eval().runSuite(request.toBuilder().setModel(" ").build()));
        invalid("target", "target:", () -> eval().runSuite(RunSuiteRequest.getDefaultInstance()));
        invalid(
                "suite",
                "suite: perplexity.docs: must be >= 1",
                () -> eval().runSuite(request.toBuilder()
                        .setSuite(SuiteConfig.newBuilder()
                                .setPerplexity(PerplexitySuite.newBuilder()
                                        .addLengths(16)
                                        .setDocs(-1)))
                        .build()));
        invalid(
                "suite",
                "suite: perplexity.lengths:",
                () -> eval().runSuite(request.toBuilder()
                        .setSuite(SuiteConfig.newBuilder()
                                .setPerplexity(PerplexitySuite.newBuilder().addLengths(1)))
                        .build()));
        invalid(
                "suite",
                "suite: passkey.trials: must be >= 1",
                () -> eval().runSuite(request.toBuilder()
                        .setSuite(SuiteConfig.newBuilder()
                                .setPasskey(PasskeySuite.newBuilder()
                                        .addLengths(384)
                                        .setTrials(-2)))
                        .build()));
        invalid(
                "suite",
                "suite: perplexity.corpus:",
                () -> eval().runSuite(request.toBuilder()
                        .setSuite(SuiteConfig.newBuilder()
                                .setPerplexity(PerplexitySuite.newBuilder()
                                        .addLengths(16)
                                        .setCorpus(Path.of("target/test-data/no-such-corpus.jsonl")
                                                .toAbsolutePath()
                                                .toString())))
                        .build()));

        StatusRuntimeException unknown = fails(Status.Code.NOT_FOUND, () -> watch("eval-000000000000-00000000"));
        assertTrue(unknown.getStatus().getDescription().startsWith("evaluation_id:"));
        fails(
                Status.Code.NOT_FOUND,
                () -> eval().getReport(GetReportRequest.newBuilder()
                        .setEvaluationId("eval-000000000000-00000000")
                        .build()));
    }
}
