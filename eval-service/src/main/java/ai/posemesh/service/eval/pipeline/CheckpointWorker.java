package ai.posemesh.service.eval.pipeline;

import ai.posemesh.evaluation.config.SuiteConfig;
import ai.posemesh.proto.eval.v1.EvalState;
import ai.posemesh.proto.eval.v1.EvalUpdate;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Trigger;
import ai.posemesh.service.eval.EvalSettings;
import ai.posemesh.service.eval.inference.InferenceClient;
import ai.posemesh.service.eval.kafka.EvalKafka;
import ai.posemesh.service.eval.kafka.EvalRecords;
import ai.posemesh.service.eval.kafka.EvalRecords.KafkaWriteException;
import ai.posemesh.service.eval.kafka.ResultsView;
import ai.posemesh.service.eval.metrics.EvalMetrics;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The checkpoint consumer of one replica (group {@code posemesh-eval}): one CheckpointPublished at a time,
 * at-least-once. An evaluation outlives a sensible {@code max.poll.interval.ms}, so — like the trainer's JobWorker —
 * the poll thread runs it on an evaluation thread, pauses its partitions and keeps polling; the record's offset is
 * committed only after its effect is durable: EvalCompleted acknowledged on the results topic, or the record
 * acknowledged on the DLQ.
 *
 * <p>Per record: unparseable bytes or an event without a usable uri / manifest sha256 go to the DLQ at once (they
 * cannot get better). A (manifest sha256, suite sha256) already on the results topic is skipped (a redelivery, or the
 * same checkpoint published twice). Otherwise the evaluation runs; a transient failure (inference UNAVAILABLE,
 * overloaded, a deadline) is waited out with a doubling back-off and never counts; a failure of the event's own (sha
 * mismatch, files missing, an unreadable base) is tried {@code max-attempts} times, then goes to the DLQ with its reason.
 * A Kafka write that fails leaves the offset uncommitted: the record is read again.
 */
public final class CheckpointWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CheckpointWorker.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    enum Disposition {
        COMMIT,
        READ_AGAIN
    }

    private final EvalSettings settings;
    private final SuiteConfig suite;
    private final Evaluator evaluator;
    private final ResultsView view;
    private final EvalRecords records;
    private final InferenceClient inference;
    private final Tracker tracker;
    private final EvalMetrics metrics;
    private final ExecutorService evalThread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Task current;
    private volatile String lastError;
    private Thread thread;

    public CheckpointWorker(
            EvalSettings settings,
            SuiteConfig suite,
            Evaluator evaluator,
            ResultsView view,
            EvalRecords records,
            InferenceClient inference,
            Tracker tracker,
            EvalMetrics metrics) {
        this.settings = settings;
        this.suite = suite;
        this.evaluator = evaluator;
        this.view = view;
        this.records = records;
        this.inference = inference;
        this.tracker = tracker;
        this.metrics = metrics;
        this.evalThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "posemesh-eval-run");
            t.setDaemon(true);
            return t;
        });
    }

    private record Task(TopicPartition partition, long offset, CompletableFuture<Disposition> result) {}

    public synchronized CheckpointWorker start() {
        if (thread == null) {
            thread = new Thread(this::loop, "posemesh-eval-worker");
            thread.start();
        }
        return this;
    }

    public boolean isAlive() {
        return thread != null && thread.isAlive();
    }

    public String lastError() {
        return lastError;
    }

    private void loop() {
        while (running) {
            try {
                consumeUntilClosed();
            } catch (RuntimeException e) {
                lastError = e.toString();
                LOG.errorf(e, "checkpoint worker: restarting its consumer");
                sleep(1000);
            }
        }
    }

    private void consumeUntilClosed() {
        try (KafkaConsumer<String, byte[]> c = EvalKafka.checkpointConsumer(
                settings.kafka(),
                settings.groupId(),
                "posemesh-eval-checkpoints-" + settings.replicaId(),
                settings.maxPollInterval())) {
            consumer = c;
            c.subscribe(List.of(settings.checkpointsTopic()), new Rebalance(c));
            try {
                while (running) {
                    Task t = current;
                    if (t != null && t.result().isDone()) {
                        finish(c, t);
                    }
                    if (current != null) {
                        c.pause(c.assignment());
                    }
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (current != null) {
                            c.seek(tp, r.offset()); // one evaluation at a time: read it again later
                        } else {
                            current = new Task(
                                    tp, r.offset(), CompletableFuture.supplyAsync(() -> process(r), evalThread));
                            c.pause(c.assignment());
                        }
                    }
                    metrics.lag(lag(c));
                    lastError = null;
                }
            } catch (WakeupException e) {
                // close()
            } finally {
                Task t = current;
                if (t != null) {
                    await(t); // the evaluation stops at its next check; its record is read again
                    current = null;
                }
                consumer = null;
            }
        }
    }

    private static long lag(KafkaConsumer<String, byte[]> c) {
        long lag = 0;
        for (TopicPartition tp : c.assignment()) {
            OptionalLong l = c.currentLag(tp);
            lag += l.orElse(0);
        }
        return lag;
    }

    private void finish(KafkaConsumer<String, byte[]> c, Task t) {
        if (await(t) == Disposition.COMMIT) {
            commit(c, t.partition(), t.offset());
        } else {
            c.seek(t.partition(), t.offset());
        }
        current = null;
        c.resume(c.paused());
    }

    private static Disposition await(Task t) {
        try {
            return t.result().join();
        } catch (RuntimeException e) {
            LOG.errorf(e, "evaluation of %s@%d failed unexpectedly; reading it again", t.partition(), t.offset());
            return Disposition.READ_AGAIN;
        }
    }

    /** One record, through to a durable effect (or not: READ_AGAIN). Runs on the evaluation thread. */
    Disposition process(ConsumerRecord<String, byte[]> r) {
        long received = System.currentTimeMillis();
        CheckpointPublished e;
        try {
            e = CheckpointPublished.parseFrom(r.value() == null ? new byte[0] : r.value());
        } catch (InvalidProtocolBufferException ex) {
            return deadLetter(r, "MALFORMED_PAYLOAD", "not a CheckpointPublished: " + ex.getMessage(), 1, null);
        }
        String invalid = invalid(e);
        if (invalid != null) {
            return deadLetter(r, "INVALID_EVENT", invalid, 1, null);
        }
        Target target = Target.of(e);
        String id = Evaluator.id(target, suite);
        try {
            if (!view.sync(Duration.ofSeconds(30))) {
                LOG.warnf("%s: results topic not read to its end within 30 s; reading the record again", id);
                return Disposition.READ_AGAIN;
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return Disposition.READ_AGAIN;
        }
        EvalCompleted done = view.done(e.getManifestSha256(), suite.sha256());
        if (done != null) {
            LOG.infof(
                    "%s: %s already evaluated under these suites (%s); not again",
                    id, e.getCheckpointId(), done.getEvaluationId());
            metrics.outcome("duplicate");
            return Disposition.COMMIT;
        }
        tracker.update(EvalUpdate.newBuilder()
                .setEvaluationId(id)
                .setState(EvalState.EVAL_STATE_QUEUED)
                .build());
        metrics.started();
        try {
            return evaluateWithRetries(r, target, id, received);
        } finally {
            metrics.ended();
        }
    }

    private Disposition evaluateWithRetries(ConsumerRecord<String, byte[]> r, Target target, String id, long received) {
        int failures = 0;
        Duration wait = settings.backoff();
        long t0 = System.nanoTime();
        while (running) {
            try {
                EvalCompleted result =
                        evaluator.evaluate(target, suite, Trigger.TRIGGER_CHECKPOINT, received, failures + 1);
                records.publishResult(result);
                view.put(result);
                evaluator.published(result);
                metrics.outcome("succeeded");
                metrics.duration("checkpoint", Duration.ofNanos(System.nanoTime() - t0));
                tracker.update(EvalUpdate.newBuilder()
                        .setEvaluationId(id)
                        .setState(EvalState.EVAL_STATE_SUCCEEDED)
                        .setResult(result)
                        .build());
                LOG.infof("%s: %s evaluated; report %s", id, target.model().getCheckpointId(), result.getReportUrl());
                return Disposition.COMMIT;
            } catch (Evaluator.Failure f) {
                if (f.isTransient()) {
                    LOG.warnf("%s: %s; trying again in %s (not counted)", id, f.getMessage(), wait);
                    tracker.progress(id, "waiting: " + f.getMessage(), 0, 0);
                    sleep(wait.toMillis());
                    wait = min(wait.multipliedBy(2), settings.unavailableMaxBackoff());
                    inference.wakeUp();
                    continue;
                }
                failures++;
                wait = settings.backoff();
                if (failures >= settings.maxAttempts()) {
                    tracker.update(EvalUpdate.newBuilder()
                            .setEvaluationId(id)
                            .setState(EvalState.EVAL_STATE_FAILED)
                            .setReason(f.getMessage())
                            .build());
                    return deadLetter(r, f.code(), f.getMessage(), failures, id);
                }
                LOG.warnf(
                        "%s: %s (attempt %d of %d); trying again in %s",
                        id, f.getMessage(), failures, settings.maxAttempts(), settings.backoff());
                sleep(settings.backoff().toMillis());
            } catch (KafkaWriteException ex) {
                LOG.warnf("%s: result not published (%s); the record will be read again", id, ex.getMessage());
                sleep(settings.backoff().toMillis());
                return Disposition.READ_AGAIN;
            }
        }
        return Disposition.READ_AGAIN; // shutting down
    }

    private Disposition deadLetter(
            ConsumerRecord<String, byte[]> r, String code, String reason, int attempts, String id) {
        try {
            records.deadLetter(r, code, reason, attempts, settings.replicaId());
            metrics.outcome("dead_lettered");
            LOG.warnf(
                    "%s-%d@%d (%s) to %s: %s %s",
                    r.topic(), r.partition(), r.offset(), id == null ? r.key() : id, settings.dlqTopic(), code, reason);
            return Disposition.COMMIT;
        } catch (KafkaWriteException ex) {
            LOG.warnf("dead letter not written (%s); the record will be read again", ex.getMessage());
            sleep(settings.backoff().toMillis());
            return Disposition.READ_AGAIN;
        }
    }

    /** What makes an event unusable, or null. */
    static String invalid(CheckpointPublished e) {
        if (e.getUri().isBlank()) {
            return "uri: empty";
        }
        if (!e.getUri().startsWith("file:") && !e.getUri().startsWith("/")) {
            return "uri: " + e.getUri() + ": not a file:// URI or absolute path";
        }
        if (!SHA256.matcher(e.getManifestSha256()).matches()) {
            return "manifest_sha256: '" + e.getManifestSha256() + "' is not 64 lowercase hex digits";
        }
        return null;
    }

    private void commit(KafkaConsumer<String, byte[]> c, TopicPartition tp, long offset) {
        Map<TopicPartition, OffsetAndMetadata> o = Map.of(tp, new OffsetAndMetadata(offset + 1));
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                c.commitSync(o, Duration.ofSeconds(30));
                return;
            } catch (WakeupException e) {
                // close() woke the consumer; the commit still matters: try once more
            } catch (KafkaException e) {
                LOG.warnf(
                        "commit of %s@%d failed: %s; the record may be read again (then it is skipped as done)",
                        tp, offset, e.toString());
                return;
            }
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<String, byte[]> c;

        Rebalance(KafkaConsumer<String, byte[]> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Task t = current;
            if (t != null && partitions.contains(t.partition())) {
                // the evaluation ends (max.poll.interval.ms bounds the wait); commit while the partition is ours
                if (await(t) == Disposition.COMMIT) {
                    commit(c, t.partition(), t.offset());
                }
                current = null;
                c.resume(c.paused());
            }
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (current != null) {
                c.pause(partitions);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            Task t = current;
            if (t != null && partitions.contains(t.partition())) {
                await(t); // cannot commit: the partition is someone else's now (the result, if any, is on the topic)
                current = null;
                c.resume(c.paused());
            }
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
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
            thread.join(Duration.ofMinutes(2).toMillis());
        }
        evalThread.shutdownNow();
    }
}
