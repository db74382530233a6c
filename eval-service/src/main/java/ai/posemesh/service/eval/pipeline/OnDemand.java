package ai.posemesh.service.eval.pipeline;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.proto.eval.v1.EvalState;
import ai.posemesh.proto.eval.v1.EvalUpdate;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.EvaluatedModel;
import ai.posemesh.proto.events.v1.Outcome;
import ai.posemesh.proto.events.v1.Trigger;
import ai.posemesh.service.eval.EvalSettings;
import ai.posemesh.service.eval.kafka.EvalRecords;
import ai.posemesh.service.eval.kafka.ResultsView;
import ai.posemesh.service.eval.metrics.EvalMetrics;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jboss.logging.Logger;

/**
 * RunSuite's evaluations: queued on one thread of their own (beside the checkpoint worker), published to the results
 * topic like checkpoint results (failures too, with OUTCOME_FAILED and the reason, so GetReport can tell).
 */
public final class OnDemand implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OnDemand.class);

    private final EvalSettings settings;
    private final Evaluator evaluator;
    private final ResultsView view;
    private final EvalRecords records;
    private final Tracker tracker;
    private final EvalMetrics metrics;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "posemesh-eval-on-demand");
        t.setDaemon(true);
        return t;
    });

    public OnDemand(
            EvalSettings settings,
            Evaluator evaluator,
            ResultsView view,
            EvalRecords records,
            Tracker tracker,
            EvalMetrics metrics) {
        this.settings = settings;
        this.evaluator = evaluator;
        this.view = view;
        this.records = records;
        this.tracker = tracker;
        this.metrics = metrics;
    }

    /** Queues it and returns its id. */
    public String submit(Target target, SuiteConfig suite) {
        String id = Evaluator.id(target, suite);
        tracker.update(EvalUpdate.newBuilder()
                .setEvaluationId(id)
                .setState(EvalState.EVAL_STATE_QUEUED)
                .build());
        long received = System.currentTimeMillis();
        thread.execute(() -> run(target, suite, id, received));
        return id;
    }

    private void run(Target target, SuiteConfig suite, String id, long received) {
        long t0 = System.nanoTime();
        metrics.started();
        EvalCompleted result;
        try {
            result = evaluator.evaluate(target, suite, Trigger.TRIGGER_ON_DEMAND, received, 1);
            metrics.outcome("succeeded");
        } catch (Evaluator.Failure f) {
            LOG.warnf("%s: %s", id, f.getMessage());
            metrics.outcome("failed");
            result = EvalCompleted.newBuilder()
                    .setEvaluationId(id)
                    .setModel(target.model())
                    .setSuiteConfig(Suites.toProto(suite))
                    .setSuiteConfigSha256(suite.sha256())
                    .setOutcome(Outcome.OUTCOME_FAILED)
                    .setReason(f.code() + ": " + f.getMessage())
                    .setTrigger(Trigger.TRIGGER_ON_DEMAND)
                    .setReplica(settings.replicaId())
                    .build();
        } catch (RuntimeException e) {
            LOG.errorf(e, "%s failed", id);
            metrics.outcome("failed");
            result = EvalCompleted.newBuilder()
                    .setEvaluationId(id)
                    .setModel(target.model())
                    .setOutcome(Outcome.OUTCOME_FAILED)
                    .setReason(e.toString())
                    .setTrigger(Trigger.TRIGGER_ON_DEMAND)
                    .build();
        } finally {
            metrics.ended();
        }
        metrics.duration("on_demand", Duration.ofNanos(System.nanoTime() - t0));
        try {
            records.publishResult(result);
        } catch (EvalRecords.KafkaWriteException e) {
            LOG.warnf("%s: result not published (%s); kept on this replica only", id, e.getMessage());
        }
        view.put(result);
        tracker.update(EvalUpdate.newBuilder()
                .setEvaluationId(id)
                .setState(
                        result.getOutcome() == Outcome.OUTCOME_SUCCEEDED
                                ? EvalState.EVAL_STATE_SUCCEEDED
                                : EvalState.EVAL_STATE_FAILED)
                .setResult(result)
                .setReason(result.getReason())
                .build());
    }

    /** A model already served by name: its identity is the manifest sha256 the inference service reports. */
    public static Target named(String name, String manifestSha256, String uri) {
        return new Target(
                EvaluatedModel.newBuilder()
                        .setCheckpointId(name)
                        .setUri(uri)
                        .setManifestSha256(manifestSha256)
                        .build(),
                name,
                false,
                name);
    }

    /** A checkpoint directory loaded for the run. */
    public static Target checkpoint(String uri, String manifestSha256) {
        return new Target(
                EvaluatedModel.newBuilder()
                        .setCheckpointId(uri)
                        .setUri(uri)
                        .setManifestSha256(manifestSha256)
                        .build(),
                "ondemand-" + manifestSha256.substring(0, 12),
                true,
                uri);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
