package ai.posemesh.service.eval.pipeline;

import ai.posemesh.evaluation.config.ModelIdentity;
import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.passkey.PasskeyEval;
import ai.posemesh.evaluation.report.ReportData;
import ai.posemesh.proto.eval.v1.EvalState;
import ai.posemesh.proto.eval.v1.EvalUpdate;
import ai.posemesh.proto.events.v1.Baseline;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.EvaluatedModel;
import ai.posemesh.proto.events.v1.Outcome;
import ai.posemesh.proto.events.v1.PasskeyResult;
import ai.posemesh.proto.events.v1.PerplexityResult;
import ai.posemesh.proto.events.v1.Timings;
import ai.posemesh.proto.events.v1.Trigger;
import ai.posemesh.service.eval.EvalSettings;
import ai.posemesh.service.eval.inference.InferenceClient;
import ai.posemesh.service.eval.kafka.ResultsView;
import ai.posemesh.service.eval.report.Reports;
import ai.posemesh.service.eval.suites.SuiteRunner;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jboss.logging.Logger;

/**
 * Runs one evaluation end to end on the inference service: the job's base (once per base identity and suite
 * configuration: reused from an earlier result when there is one that covers the lengths; with base-past-window served
 * with max_context = the suite's longest length), then the target (LoadModel with the expected
 * manifest sha256, the suites, UnloadModel), then the report folder. It publishes nothing; the caller does, and commits
 * after. Failures come out as {@link Failure}: transient (the inference service UNAVAILABLE, overloaded, a deadline)
 * or permanent (the event's own fault: sha mismatch, files missing, a base that is no model).
 */
public final class Evaluator {

    private static final Logger LOG = Logger.getLogger(Evaluator.class);

    /** gRPC codes that say "try again later" rather than "this input is bad". */
    static final Set<Status.Code> TRANSIENT = Set.of(
            Status.Code.UNAVAILABLE,
            Status.Code.DEADLINE_EXCEEDED,
            Status.Code.RESOURCE_EXHAUSTED,
            Status.Code.ABORTED,
            Status.Code.CANCELLED);

    private final EvalSettings settings;
    private final InferenceClient inference;
    private final SuiteRunner runner;
    private final ResultsView view;
    private final Reports reports;
    private final Tracker tracker;
    /** Baselines measured here whose checkpoint result was not published yet (a publish failed after them). */
    private final Map<String, Baseline> baselines = new ConcurrentHashMap<>();

    public Evaluator(
            EvalSettings settings,
            InferenceClient inference,
            SuiteRunner runner,
            ResultsView view,
            Reports reports,
            Tracker tracker) {
        this.settings = settings;
        this.inference = inference;
        this.runner = runner;
        this.view = view;
        this.reports = reports;
        this.tracker = tracker;
    }

    /** Why an evaluation did not finish. */
    public static final class Failure extends Exception {
        final boolean transientFailure;
        final String code;

        Failure(boolean transientFailure, String code, String message, Throwable cause) {
            super(message, cause);
            this.transientFailure = transientFailure;
            this.code = code;
        }

        public boolean isTransient() {
            return transientFailure;
        }

        public String code() {
            return code;
        }

        static Failure of(StatusRuntimeException e, String what) {
            String reason = InferenceClient.reason(e);
            return new Failure(
                    TRANSIENT.contains(e.getStatus().getCode()),
                    reason,
                    what + ": " + e.getStatus().getCode() + " " + reason + ": "
                            + e.getStatus().getDescription(),
                    e);
        }

        static Failure permanent(String code, String message) {
            return new Failure(false, code, message, null);
        }
    }

    /** The evaluation's id. */
    public static String id(Target t, SuiteConfig suite) {
        return ModelIdentity.evaluationId(t.model().getManifestSha256(), suite.sha256());
    }

    /** Runs it; the result carries report_path/url. {@code attempts} goes into its timings. */
    public EvalCompleted evaluate(Target t, SuiteConfig suite, Trigger trigger, long receivedAtMs, int attempts)
            throws Failure {
        String id = id(t, suite);
        String suiteSha = suite.sha256();
        long started = System.currentTimeMillis();
        tracker.update(EvalUpdate.newBuilder()
                .setEvaluationId(id)
                .setState(EvalState.EVAL_STATE_RUNNING)
                .setStage("starting")
                .build());
        EvaluatedModel.Builder model = t.model().toBuilder();
        Baseline baseline = null;
        double baselineSeconds = 0;
        if (!t.model().getBaseModel().isEmpty()) {
            long b0 = System.nanoTime();
            ModelIdentity base = baseIdentity(t.model().getBaseModel());
            model.setBaseModelSha256(base.sha256()).setBaseIdentityKind(base.kind());
            baseline = baseline(id, t.model().getBaseModel(), base, suite, suiteSha);
            baselineSeconds = (System.nanoTime() - b0) / 1e9;
        }
        long l0 = System.nanoTime();
        if (t.load()) {
            try {
                inference.load(t.servedName(), t.model().getUri(), t.model().getManifestSha256(), 0);
            } catch (StatusRuntimeException e) {
                throw Failure.of(e, "LoadModel " + t.model().getUri());
            }
        }
        double loadSeconds = (System.nanoTime() - l0) / 1e9;
        SuiteRunner.Results r;
        try {
            r = run(id, t.servedName(), t.label(), t.model().getManifestSha256(), t, suite);
        } finally {
            if (t.load()) {
                inference.unload(t.servedName());
            }
        }
        EvalCompleted.Builder e = EvalCompleted.newBuilder()
                .setEvaluationId(id)
                .setModel(model)
                .setSuiteConfig(Suites.toProto(suite))
                .setSuiteConfigSha256(suiteSha)
                .setOutcome(Outcome.OUTCOME_SUCCEEDED)
                .setTrigger(trigger)
                .setReplica(settings.replicaId())
                .setTimings(Timings.newBuilder()
                        .setReceivedAtMs(receivedAtMs)
                        .setStartedAtMs(started)
                        .setFinishedAtMs(System.currentTimeMillis())
                        .setLoadSeconds(loadSeconds)
                        .setPerplexitySeconds(r.pplSeconds())
                        .setPasskeySeconds(r.passkeySeconds())
                        .setBaselineSeconds(baselineSeconds)
                        .setAttempts(attempts));
        r.ppl().forEach(p -> e.addPerplexity(ppl(p)));
        r.passkey().forEach(p -> e.addPasskey(passkey(p)));
        if (baseline != null) {
            e.setBaseline(baseline);
        }
        return reports.write(e.build(), r.trials(), suite.depthBins());
    }

    private SuiteRunner.Results run(String id, String served, String label, String sha, Target t, SuiteConfig suite)
            throws Failure {
        try {
            return runner.run(
                    inference.channel(),
                    served,
                    new SuiteRunner.ModelLabel(label, sha, t.model().getRope().getRopeType()),
                    suite,
                    (stage, done, total) -> tracker.progress(id, label + ": " + stage, done, total));
        } catch (StatusRuntimeException e) {
            throw Failure.of(e, label);
        } catch (SuiteRunner.SuiteException e) {
            throw Failure.permanent("SUITE_FAILED", label + ": " + e.getMessage());
        }
    }

    private static ModelIdentity baseIdentity(String baseModel) throws Failure {
        try {
            Path dir = baseModel.startsWith("file:") ? Path.of(URI.create(baseModel)) : Path.of(baseModel);
            return ModelIdentity.of(dir);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw Failure.permanent("BASE_MODEL_UNREADABLE", "base_model " + baseModel + ": " + e.getMessage());
        }
    }

    /**
     * The max_context the job's base is served with: with {@code posemesh.eval.base-past-window}, the suite's longest
     * length (perplexity and passkey), so the base runs every configured length, past its own window too (at that
     * length the passkey prompt is sized 100 tokens short, as for a checkpoint whose target it is); otherwise 0 (its
     * own max_position_embeddings: its series stops at its window).
     */
    static int baseMaxContext(SuiteConfig suite, boolean pastWindow) {
        if (!pastWindow) {
            return 0;
        }
        return IntStream.concat(
                        IntStream.of(suite.perplexity().lengths()),
                        IntStream.of(suite.passkey().lengths()))
                .max()
                .orElse(0);
    }

    /**
     * Whether an earlier baseline (same base identity, same suite sha256) holds every length this run would measure
     * the base at. Served at {@code maxContext} > 0 (past its window) the base measures every perplexity length and
     * every passkey length whose prompt and answer fit {@code maxContext}: the baseline must have a result at each of
     * them. Served with its own window ({@code maxContext} 0) it measures what that window takes, which any baseline
     * of the same base and suites covers (one measured at its own window has exactly those lengths, one measured past
     * it more). So a baseline whose series stopped at the base's window is measured again once base-past-window is
     * on, and never after: the new one covers both settings (a base whose own window holds every length is never
     * measured twice).
     */
    static boolean covers(Baseline b, SuiteConfig suite, int maxContext) {
        if (maxContext <= 0) {
            return true;
        }
        Set<Integer> ppl =
                b.getPerplexityList().stream().map(PerplexityResult::getLength).collect(Collectors.toSet());
        Set<Integer> passkey =
                b.getPasskeyList().stream().map(PasskeyResult::getLength).collect(Collectors.toSet());
        return IntStream.of(suite.perplexity().lengths())
                        .filter(l -> l <= maxContext)
                        .allMatch(ppl::contains)
                && IntStream.of(suite.passkey().lengths())
                        .filter(l -> PasskeyEval.fits(l, maxContext, maxContext))
                        .allMatch(passkey::contains);
    }

    /**
     * The base's numbers: from an earlier result under the same suites that {@link #covers} the lengths this run
     * measures when there is one, else measured now.
     */
    private Baseline baseline(String id, String uri, ModelIdentity base, SuiteConfig suite, String suiteSha)
            throws Failure {
        String key = ModelIdentity.key(base.sha256(), suiteSha);
        int maxContext = baseMaxContext(suite, settings.basePastWindow());
        for (EvalCompleted known : view.all()) {
            if (known.hasBaseline()
                    && known.getSuiteConfigSha256().equals(suiteSha)
                    && known.getBaseline().getBaseModelSha256().equals(base.sha256())
                    && covers(known.getBaseline(), suite, maxContext)) {
                return known.getBaseline();
            }
        }
        Baseline cached = baselines.get(key);
        if (cached != null && covers(cached, suite, maxContext)) {
            return cached;
        }
        // the served context is part of the name: InferenceClient.load takes a model already under a name as it is
        String served = "base-" + base.sha256().substring(0, 12) + (maxContext > 0 ? "-ctx" + maxContext : "");
        LOG.infof(
                "%s: measuring the base %s (%s %s)%s",
                id, uri, base.kind(), base.sha256(), maxContext > 0 ? " served with max_context " + maxContext : "");
        try {
            inference.load(served, uri, null, maxContext);
        } catch (StatusRuntimeException e) {
            throw Failure.of(e, "LoadModel base " + uri);
        }
        SuiteRunner.Results r;
        try {
            r = runner.run(
                    inference.channel(),
                    served,
                    new SuiteRunner.ModelLabel("base", base.sha256(), ""),
                    suite,
                    (stage, done, total) -> tracker.progress(id, "base: " + stage, done, total));
        } catch (StatusRuntimeException e) {
            throw Failure.of(e, "base " + uri);
        } catch (SuiteRunner.SuiteException e) {
            throw Failure.permanent("SUITE_FAILED", "base " + uri + ": " + e.getMessage());
        } finally {
            inference.unload(served);
        }
        Baseline.Builder b = Baseline.newBuilder()
                .setBaseModel(uri)
                .setBaseModelSha256(base.sha256())
                .setMeasuredBy(id);
        r.ppl().forEach(p -> b.addPerplexity(ppl(p)));
        r.passkey().forEach(p -> b.addPasskey(passkey(p)));
        Baseline done = b.build();
        baselines.put(key, done);
        return done;
    }

    private static PerplexityResult ppl(ReportData.Ppl p) {
        return PerplexityResult.newBuilder()
                .setLength(p.length())
                .setPpl(p.ppl())
                .setScoredTokens(p.scoredTokens())
                .setDocs(p.docs())
                .build();
    }

    private static PasskeyResult passkey(ReportData.Passkey p) {
        return PasskeyResult.newBuilder()
                .setLength(p.length())
                .setTrials(p.trials())
                .setPassed(p.passed())
                .setAccuracy(p.accuracy())
                .build();
    }

    /** Forgets a baseline measured here once a result carrying it is on the topic. */
    public void published(EvalCompleted e) {
        if (e.hasBaseline()) {
            baselines.remove(ModelIdentity.key(e.getBaseline().getBaseModelSha256(), e.getSuiteConfigSha256()));
        }
    }

    public List<EvalCompleted> known() {
        return view.all();
    }
}
