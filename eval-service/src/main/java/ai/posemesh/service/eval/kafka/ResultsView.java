package ai.posemesh.service.eval.kafka;

import ai.posemesh.evaluation.config.ModelIdentity;
import ai.posemesh.kafka.TopicReader;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Outcome;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/**
 * Every EvalCompleted on the results topic, folded into memory: what is done (by model sha256 and suite sha256), by
 * evaluation id, by job. Read from the beginning by every replica without a group (a {@link TopicReader}, like the
 * trainer's job status view); {@link #sync} reads up to the topic's current end, so a decision taken after it knows
 * every result published before it.
 */
public final class ResultsView implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ResultsView.class);

    private final TopicReader reader;
    private final Map<String, EvalCompleted> byKey = new ConcurrentHashMap<>();
    private final Map<String, EvalCompleted> byId = new ConcurrentHashMap<>();

    public ResultsView(Map<String, Object> kafka, String topic, String clientId) {
        this.reader = new TopicReader(kafka, topic, clientId, clientId, this::fold);
    }

    public void start() {
        reader.start();
    }

    private void fold(ConsumerRecord<String, byte[]> r) {
        try {
            put(EvalCompleted.parseFrom(r.value() == null ? new byte[0] : r.value()));
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("unreadable result at %s-%d@%d: %s", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    /** Records a result (also called by this replica right after publishing it). */
    public void put(EvalCompleted e) {
        if (e.getEvaluationId().isEmpty()) {
            return;
        }
        byId.put(e.getEvaluationId(), e);
        if (e.getOutcome() == Outcome.OUTCOME_SUCCEEDED) {
            byKey.put(ModelIdentity.key(e.getModel().getManifestSha256(), e.getSuiteConfigSha256()), e);
        }
    }

    /** Reads the topic up to its current end; false when that did not happen within the timeout. */
    public boolean sync(Duration timeout) throws InterruptedException {
        return reader.sync(timeout);
    }

    /** The successful evaluation of this model under this suite configuration, or null. */
    public EvalCompleted done(String modelSha256, String suiteSha256) {
        return byKey.get(ModelIdentity.key(modelSha256, suiteSha256));
    }

    public EvalCompleted byId(String evaluationId) {
        return byId.get(evaluationId);
    }

    /** Every result known, newest first. */
    public List<EvalCompleted> all() {
        return byId.values().stream()
                .sorted(Comparator.comparingLong(
                                (EvalCompleted e) -> e.getTimings().getFinishedAtMs())
                        .reversed()
                        .thenComparing(EvalCompleted::getEvaluationId))
                .toList();
    }

    public boolean isCaughtUp() {
        return reader.isCaughtUp();
    }

    public String lastError() {
        return reader.lastError();
    }

    /** Null once caught up; before, "reading" or the last error. */
    public String notCaughtUpBecause() {
        return reader.notCaughtUpBecause();
    }

    @Override
    public void close() throws InterruptedException {
        reader.close();
    }
}
