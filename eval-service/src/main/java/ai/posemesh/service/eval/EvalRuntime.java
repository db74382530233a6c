package ai.posemesh.service.eval;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.evaluation.passkey.PasskeySpec;
import ai.posemesh.evaluation.perplexity.PerplexitySpec;
import ai.posemesh.kafka.KafkaClients;
import ai.posemesh.kafka.ReplicaIds;
import ai.posemesh.kafka.StartupRetry;
import ai.posemesh.service.eval.inference.InferenceClient;
import ai.posemesh.service.eval.kafka.EvalRecords;
import ai.posemesh.service.eval.kafka.ResultsView;
import ai.posemesh.service.eval.kafka.Topics;
import ai.posemesh.service.eval.metrics.EvalMetrics;
import ai.posemesh.service.eval.pipeline.CheckpointWorker;
import ai.posemesh.service.eval.pipeline.Evaluator;
import ai.posemesh.service.eval.pipeline.OnDemand;
import ai.posemesh.service.eval.pipeline.Tracker;
import ai.posemesh.service.eval.report.Reports;
import ai.posemesh.service.eval.suites.RemoteSuiteRunner;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.jboss.logging.Logger;

/**
 * Wires eval-service for this replica: the inference client, the producer, the results view, the evaluator, the
 * checkpoint worker and the on-demand runner. The suite defaults (the corpus hashed) and the topics are set up in the
 * background, retrying while the corpus or Kafka is missing (readiness says which); the view and the worker start
 * once they are.
 */
@ApplicationScoped
public class EvalRuntime {

    private static final Logger LOG = Logger.getLogger(EvalRuntime.class);

    @Inject
    EvalConfig config;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    EvalMetrics metrics;

    private EvalSettings settings;
    private Admin admin;
    private EvalRecords records;
    private ResultsView view;
    private InferenceClient inference;
    private Reports reports;
    private final Tracker tracker = new Tracker();
    private Evaluator evaluator;
    private CheckpointWorker worker;
    private OnDemand onDemand;
    private volatile SuiteConfig suite;
    private volatile boolean ready;
    private volatile String initError = "starting";
    private StartupRetry startup;

    void onStart(@Observes StartupEvent ev) {
        EvalConfig.Topics t = config.topics();
        settings = new EvalSettings(
                kafkaConfig,
                config.replicaId().orElseGet(() -> ReplicaIds.hostName("eval")),
                config.inference().endpoint(),
                t.checkpoints(),
                t.results(),
                t.dlq(),
                config.groupId(),
                t.create(),
                t.checkpointPartitions(),
                t.resultPartitions(),
                t.replicationFactor().orElse((short) -1),
                config.reportsRoot(),
                config.retry().maxAttempts(),
                config.retry().backoff(),
                config.retry().unavailableMaxBackoff(),
                config.maxPollInterval(),
                config.basePastWindow());
        String client = "posemesh-eval-" + settings.replicaId();
        admin = KafkaClients.admin(settings.kafka(), client + "-admin");
        records = new EvalRecords(
                KafkaClients.producer(settings.kafka(), client), settings.resultsTopic(), settings.dlqTopic());
        view = new ResultsView(settings.kafka(), settings.resultsTopic(), client + "-results");
        inference = new InferenceClient(settings.inferenceEndpoint());
        reports = new Reports(settings.reportsRoot(), view);
        evaluator = new Evaluator(settings, inference, new RemoteSuiteRunner(), view, reports, tracker);
        onDemand = new OnDemand(settings, evaluator, view, records, tracker, metrics);
        LOG.infof(
                "eval replica %s: kafka %s, inference %s, reports under %s",
                settings.replicaId(),
                settings.kafka().get("bootstrap.servers"),
                settings.inferenceEndpoint(),
                settings.reportsRoot());
        startup = StartupRetry.start("posemesh-eval-init", Duration.ofSeconds(5), this::init);
    }

    private boolean init() {
        try {
            if (suite == null) {
                EvalConfig.Suite s = config.suite();
                EvalConfig.Suite.Perplexity p = s.perplexity();
                EvalConfig.Suite.Passkey k = s.passkey();
                suite = SuiteConfig.withCorpus(
                        new PerplexitySpec(
                                p.lengths().stream().mapToInt(Integer::intValue).toArray(),
                                p.stride(),
                                p.docs(),
                                p.minTokens(),
                                p.maxTokens(),
                                p.truncate()),
                        p.corpus().toAbsolutePath().normalize(),
                        new PasskeySpec(
                                k.lengths().stream().mapToInt(Integer::intValue).toArray(), k.trials(), k.seed()),
                        k.depthBins());
                LOG.infof("suite defaults %s (sha256 %s)", suite.canonicalJson(), suite.sha256());
            }
            if (settings.createTopics()) {
                Topics.ensure(admin, settings);
            }
            view.start();
            if (config.worker().enabled()) {
                worker = new CheckpointWorker(settings, suite, evaluator, view, records, inference, tracker, metrics)
                        .start();
            }
            ready = true;
            initError = null;
            return true;
        } catch (Exception e) {
            initError = (suite == null ? "suite defaults: " : "Kafka topics: ") + e.getMessage();
            LOG.warnf("not ready (%s); retrying", initError);
            return false;
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (startup != null) {
            startup.close();
        }
        try {
            if (worker != null) {
                worker.close();
            }
            onDemand.close();
            view.close();
            inference.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        records.close();
        admin.close();
    }

    public EvalSettings settings() {
        return settings;
    }

    public Admin admin() {
        return admin;
    }

    public ResultsView view() {
        return view;
    }

    public InferenceClient inference() {
        return inference;
    }

    public Tracker tracker() {
        return tracker;
    }

    public OnDemand onDemand() {
        return onDemand;
    }

    /** Null until the corpus is hashed. */
    public SuiteConfig suite() {
        return suite;
    }

    /** Null when the worker is off or not started yet. */
    public CheckpointWorker worker() {
        return worker;
    }

    public boolean initialized() {
        return ready;
    }

    public String initError() {
        return initError;
    }
}
