package ai.posemesh.service.trainer.jobs;

import ai.posemesh.kafka.TopicReader;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobStatusRecord;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.jboss.logging.Logger;

/**
 * This replica's picture of every job: the compacted status topic read from the beginning (all partitions, no
 * consumer group: a {@link TopicReader}) into memory, snapshots folded with {@link JobStates#merge}. Every replica keeps one, so WatchJob,
 * ListJobs and CancelJob answer on any replica, and a running job sees a cancel request made anywhere.
 */
public final class JobStatusView implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobStatusView.class);

    private final TopicReader reader;
    private final ConcurrentHashMap<String, JobInfo> jobs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CopyOnWriteArrayList<Consumer<JobInfo>>> watchers =
            new ConcurrentHashMap<>();

    public JobStatusView(Map<String, Object> kafka, String topic, String clientId) {
        this.reader = new TopicReader(kafka, topic, clientId, "posemesh-job-status-" + clientId, this::read);
    }

    public JobStatusView start() {
        reader.start();
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
        return reader.isCaughtUp();
    }

    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return reader.awaitCaughtUp(timeout);
    }

    /** The last error reading the topic, null while reading works. */
    public String lastError() {
        return reader.lastError();
    }

    /** Null once caught up; before, "reading" or the last error. */
    public String notCaughtUpBecause() {
        return reader.notCaughtUpBecause();
    }

    /**
     * Waits until this view has read every status record written before the call (read-your-writes across
     * replicas).
     *
     * @return false when that did not happen within the timeout
     */
    public boolean sync(Duration timeout) throws InterruptedException {
        return reader.sync(timeout);
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

    @Override
    public void close() throws InterruptedException {
        reader.close();
    }
}
