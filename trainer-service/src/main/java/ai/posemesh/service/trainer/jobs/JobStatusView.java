package ai.posemesh.service.trainer.jobs;

import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobStatusRecord;
import ai.posemesh.service.trainer.kafka.KafkaClients;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * This replica's picture of every job: the compacted status topic read from the beginning (all partitions, no
 * consumer group) into memory, snapshots folded with {@link JobStates#merge}. Every replica keeps one, so WatchJob,
 * ListJobs and CancelJob answer on any replica, and a running job sees a cancel request made anywhere.
 */
public final class JobStatusView implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobStatusView.class);

    private final Map<String, Object> kafka;
    private final String topic;
    private final String clientId;
    private final ConcurrentHashMap<String, JobInfo> jobs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CopyOnWriteArrayList<Consumer<JobInfo>>> watchers =
            new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> syncRequests = new ConcurrentLinkedQueue<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile String lastError;
    private Thread thread;

    public JobStatusView(Map<String, Object> kafka, String topic, String clientId) {
        this.kafka = kafka;
        this.topic = topic;
        this.clientId = clientId;
    }

    public synchronized JobStatusView start() {
        if (thread == null) {
            thread = new Thread(this::loop, "posemesh-job-status-" + clientId);
            thread.setDaemon(true);
            thread.start();
        }
        return this;
    }

    public JobInfo get(String jobId) {
        return jobs.get(jobId);
    }

    public Collection<JobInfo> all() {
        return List.copyOf(jobs.values());
    }

    /** True when someone asked to cancel the job (or it is already cancelled). */
    public boolean cancelRequested(String jobId) {
        JobInfo j = jobs.get(jobId);
        return j != null && (j.getCancelRequested() || j.getState() == JobState.JOB_STATE_CANCELLED);
    }

    /** True once the topic was read up to where it ended when this view started. */
    public boolean isCaughtUp() {
        return caughtUp.getCount() == 0;
    }

    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The last error reading the topic, null while reading works. */
    public String lastError() {
        return lastError;
    }

    /**
     * Waits until this view has read every status record written before the call (read-your-writes across
     * replicas).
     *
     * @return false when that did not happen within the timeout
     */
    public boolean sync(Duration timeout) throws InterruptedException {
        CompletableFuture<Void> f = new CompletableFuture<>();
        syncRequests.add(f); // the reader thread takes it within one poll (250 ms)
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    /**
     * Folds a snapshot this replica just wrote (it comes back from the topic too; merging twice changes nothing), so
     * the caller reads its own write at once.
     */
    public void applyLocal(JobInfo job) {
        apply(job);
    }

    /** Calls {@code watcher} with the job's merged snapshot after every change, until the returned handle closes. */
    public AutoCloseable watch(String jobId, Consumer<JobInfo> watcher) {
        watchers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(watcher);
        return () -> watchers.computeIfPresent(jobId, (k, list) -> {
            list.remove(watcher);
            return list.isEmpty() ? null : list;
        });
    }

    private void apply(JobInfo incoming) {
        JobInfo merged = jobs.merge(incoming.getJobId(), incoming, JobStates::merge);
        List<Consumer<JobInfo>> ws = watchers.get(incoming.getJobId());
        if (ws != null) {
            for (Consumer<JobInfo> w : ws) {
                try {
                    w.accept(merged);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "job watcher of %s failed", incoming.getJobId());
                }
            }
        }
    }

    private void loop() {
        while (running) {
            try (KafkaConsumer<String, byte[]> c = KafkaClients.reader(kafka, clientId)) {
                consumer = c;
                List<TopicPartition> parts = partitions(c);
                if (parts.isEmpty()) {
                    lastError = "topic " + topic + " not found";
                    sleep(1000);
                    continue;
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                Map<TopicPartition, Long> startEnd = c.endOffsets(parts);
                List<Pending> pending = new ArrayList<>();
                while (running) {
                    try {
                        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(250))) {
                            read(r);
                        }
                    } catch (WakeupException e) {
                        break; // close()
                    }
                    lastError = null;
                    if (caughtUp.getCount() > 0 && reached(c, startEnd)) {
                        caughtUp.countDown();
                        LOG.debugf("status view %s caught up: %d jobs", clientId, jobs.size());
                    }
                    if (!syncRequests.isEmpty()) {
                        Map<TopicPartition, Long> end = c.endOffsets(parts);
                        for (CompletableFuture<Void> f; (f = syncRequests.poll()) != null; ) {
                            pending.add(new Pending(f, end));
                        }
                    }
                    for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
                        Pending p = it.next();
                        if (reached(c, p.end())) {
                            p.future().complete(null);
                            it.remove();
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                lastError = e.toString();
                if (running) {
                    LOG.warnf("status view %s: %s; reconnecting", clientId, e.toString());
                    sleep(1000);
                }
            } finally {
                consumer = null;
            }
        }
    }

    private void read(ConsumerRecord<String, byte[]> r) {
        if (r.value() == null) {
            jobs.remove(r.key()); // a tombstone: the job was deleted from the topic
            return;
        }
        try {
            JobInfo job = JobStatusRecord.parseFrom(r.value()).getJob();
            if (!job.getJobId().isEmpty()) {
                apply(job);
            }
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf(
                    "unreadable status record %s at %s-%d@%d: %s",
                    r.key(), r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> c) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
        return infos == null
                ? List.of()
                : infos.stream()
                        .map(p -> new TopicPartition(p.topic(), p.partition()))
                        .toList();
    }

    private static boolean reached(KafkaConsumer<String, byte[]> c, Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
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

    private record Pending(CompletableFuture<Void> future, Map<TopicPartition, Long> end) {}
}
