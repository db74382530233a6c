package ai.posemesh.service.eval.kafka;

import ai.posemesh.evaluation.config.ModelIdentity;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Outcome;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * Every EvalCompleted on the results topic, folded into memory: what is done (by model sha256 and suite sha256), by
 * evaluation id, by job. Read from the beginning by every replica without a group, like the trainer's job status
 * view; {@link #sync} reads up to the topic's current end, so a decision taken after it knows every result published
 * before it.
 */
public final class ResultsView implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(ResultsView.class);

    private final Map<String, Object> kafka;
    private final String topic;
    private final String clientId;
    private final Map<String, EvalCompleted> byKey = new ConcurrentHashMap<>();
    private final Map<String, EvalCompleted> byId = new ConcurrentHashMap<>();
    private final List<CountDownLatch> syncRequests = new ArrayList<>();
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    private volatile String lastError;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    public ResultsView(Map<String, Object> kafka, String topic, String clientId) {
        this.kafka = kafka;
        this.topic = topic;
        this.clientId = clientId;
    }

    public synchronized void start() {
        if (thread == null) {
            thread = new Thread(this::loop, clientId);
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void loop() {
        while (running) {
            try (KafkaConsumer<String, byte[]> c = EvalKafka.reader(kafka, clientId)) {
                consumer = c;
                List<TopicPartition> parts = new ArrayList<>();
                for (PartitionInfo p : c.partitionsFor(topic, Duration.ofSeconds(10))) {
                    parts.add(new TopicPartition(topic, p.partition()));
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                while (running) {
                    List<CountDownLatch> waiting;
                    synchronized (syncRequests) {
                        waiting = new ArrayList<>(syncRequests);
                        syncRequests.clear();
                    }
                    Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(10));
                    do {
                        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                            fold(r);
                        }
                    } while (running && behind(c, end));
                    caughtUp = true;
                    lastError = null;
                    waiting.forEach(CountDownLatch::countDown);
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                        fold(r);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                lastError = e.toString();
                LOG.warnf("results view: %s; reading again", lastError);
                sleep(1000);
            } finally {
                consumer = null;
            }
        }
    }

    private static boolean behind(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return true;
            }
        }
        return false;
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
        CountDownLatch l = new CountDownLatch(1);
        synchronized (syncRequests) {
            syncRequests.add(l);
        }
        return l.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
        return caughtUp;
    }

    public String lastError() {
        return lastError;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            thread.join(10_000);
        }
    }
}
