package ai.posemesh.service.trainer.jobs;

import ai.posemesh.kafka.KafkaClients;
import ai.posemesh.kafka.KafkaWriteException;
import ai.posemesh.kafka.Offsets;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.TrainJobRecord;
import ai.posemesh.service.trainer.TrainerSettings;
import ai.posemesh.service.trainer.kafka.TrainerRecords;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainSpec;
import com.google.protobuf.InvalidProtocolBufferException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jboss.logging.Logger;

/**
 * The job-queue consumer of one replica: takes job records from the job topic (consumer group
 * {@code posemesh-trainer}) and runs them one at a time.
 *
 * <p>A job outlives any sensible {@code max.poll.interval.ms}, so the poll thread never waits for it: it starts the
 * job on a training thread, pauses every assigned partition and keeps polling (heartbeats, rebalances) until the job
 * ends. Only then is the record's offset committed — after the job's final status is on the status topic — and the
 * partitions resumed. A replica that dies mid-job commits nothing: the group gives the partition to another replica,
 * which reads the record again and resumes from the job's last checkpoint. If a rebalance takes the running job's
 * partition away (cooperative-sticky assignment makes that rare), the job is stopped after its current step and
 * handed over the same way; {@code max.poll.interval.ms} bounds how long that rebalance waits for the step.
 * Before running a record the worker reads the status topic to its end and skips jobs that already ended (a replica
 * that died between the final status and the commit) or were cancelled while queued.
 */
public final class JobWorker implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(JobWorker.class);

    private final TrainerSettings settings;
    private final JobStatusView view;
    private final TrainerRecords records;
    private final ProgressBus bus;
    private final ExecutorService trainingThread;
    private final List<String> jobsStarted = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile JobRun current;
    private volatile String lastError;
    private Thread thread;

    public JobWorker(TrainerSettings settings, JobStatusView view, TrainerRecords records, ProgressBus bus) {
        this.settings = settings;
        this.view = view;
        this.records = records;
        this.bus = bus;
        this.trainingThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "posemesh-train-" + settings.replicaId());
            t.setDaemon(true);
            return t;
        });
    }

    public synchronized JobWorker start() {
        if (thread == null) {
            thread = new Thread(this::loop, "posemesh-job-worker-" + settings.replicaId());
            thread.start();
        }
        return this;
    }

    /** Job ids this worker started, in order (a job given back and taken again appears again). */
    public List<String> jobsStarted() {
        return List.copyOf(jobsStarted);
    }

    /** The job running here now, or null. */
    public String currentJob() {
        JobRun r = current;
        return r == null ? null : r.jobId;
    }

    /** The job-topic partitions this replica owns now. */
    public Set<TopicPartition> assignment() {
        return assignment;
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
                while (running && !view.awaitCaughtUp(Duration.ofSeconds(1))) {
                    // the status view must know every job before this worker judges a record
                }
                consumeUntilClosed();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                lastError = e.toString();
                LOG.errorf(e, "job worker %s: restarting its consumer", settings.replicaId());
                sleep(1000);
            }
        }
    }

    private void consumeUntilClosed() {
        try (KafkaConsumer<String, byte[]> c = KafkaClients.workConsumer(
                settings.kafka(),
                settings.groupId(),
                "posemesh-trainer-jobs-" + settings.replicaId(),
                settings.maxPollInterval())) {
            consumer = c;
            c.subscribe(List.of(settings.jobsTopic()), new Rebalance(c));
            try {
                while (running) {
                    JobRun run = current;
                    if (run != null && run.isDone()) {
                        finish(run);
                    }
                    if (current != null) {
                        c.pause(c.assignment()); // including partitions a rebalance just added
                    }
                    for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
                        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                        if (current != null) {
                            c.seek(tp, r.offset()); // one job at a time: read it again later
                        } else {
                            begin(r, tp);
                        }
                    }
                    lastError = null;
                }
            } catch (WakeupException e) {
                // close()
            } finally {
                giveBack(c, "replica shutting down");
                consumer = null;
                assignment = Set.of();
            }
        }
    }

    private void begin(ConsumerRecord<String, byte[]> r, TopicPartition tp) {
        TrainJobRecord job;
        try {
            job = TrainJobRecord.parseFrom(r.value() == null ? new byte[0] : r.value());
        } catch (InvalidProtocolBufferException e) {
            LOG.errorf("unreadable job record %s at %s@%d: %s; skipped", r.key(), tp, r.offset(), e.getMessage());
            commit(tp, r.offset());
            return;
        }
        if (job.getJobId().isEmpty()) {
            LOG.errorf("job record without a job id at %s@%d; skipped", tp, r.offset());
            commit(tp, r.offset());
            return;
        }
        try {
            if (!view.sync(Duration.ofSeconds(10))) {
                LOG.warnf(
                        "job %s: status topic not read to its end within 10 s; judging from what is known",
                        job.getJobId());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        }
        JobInfo known = view.get(job.getJobId());
        if (known != null && JobStates.terminal(known.getState())) {
            LOG.infof("job %s already %s; not running it again", job.getJobId(), known.getState());
            commit(tp, r.offset());
            return;
        }
        if (known != null && known.getCancelRequested()) {
            endWithoutRunning(
                    job,
                    known,
                    JobState.JOB_STATE_CANCELLED,
                    known.getReason().isEmpty() ? "cancelled while queued" : known.getReason(),
                    tp,
                    r.offset());
            return;
        }
        TrainSpec spec;
        try {
            spec = JobSpecs.toTrainSpec(job.getSpec());
        } catch (TrainException e) {
            endWithoutRunning(job, known, JobState.JOB_STATE_FAILED, e.kind() + ": " + e.getMessage(), tp, r.offset());
            return;
        }
        JobRun run = new JobRun(job, spec, tp, r.offset(), settings, view, records, bus, () -> !running);
        current = run;
        jobsStarted.add(job.getJobId());
        consumer.pause(consumer.assignment());
        run.start(trainingThread);
    }

    private void endWithoutRunning(
            TrainJobRecord job, JobInfo known, JobState state, String reason, TopicPartition tp, long offset) {
        JobInfo.Builder b = known != null
                ? known.toBuilder()
                : JobInfo.newBuilder()
                        .setJobId(job.getJobId())
                        .setSpec(job.getSpec())
                        .setSubmittedAtMs(job.getSubmittedAtMs());
        try {
            records.writeStatus(b.setState(state)
                    .setReason(reason)
                    .setUpdatedAtMs(System.currentTimeMillis())
                    .build());
            LOG.infof("job %s: %s without running (%s)", job.getJobId(), state, reason);
            commit(tp, offset);
        } catch (KafkaWriteException e) {
            LOG.warnf("job %s: %s not recorded (%s); will read it again", job.getJobId(), state, e.getMessage());
            consumer.seek(tp, offset);
        }
    }

    /** The running job ended on its own: commit (once its final status is written) and take the next one. */
    private void finish(JobRun run) {
        JobRun.Result result = run.await();
        if (result.statusWritten() && result.outcome() != JobRun.Outcome.REQUEUED) {
            commit(run.partition, run.offset);
        } else {
            consumer.seek(run.partition, run.offset); // run it again (it resumes from its checkpoints)
        }
        current = null;
        consumer.resume(consumer.paused());
    }

    /**
     * This replica loses (or gives up) the running job's partition: stop the job after its current step and leave
     * its record uncommitted, unless it ended anyway.
     */
    private void giveBack(KafkaConsumer<String, byte[]> c, String because) {
        JobRun run = current;
        if (run == null) {
            return;
        }
        if (!run.isDone()) {
            LOG.infof("job %s: stopping it after the current step (%s)", run.jobId, because);
            run.preempt(because);
        }
        JobRun.Result result = run.await();
        if (result.statusWritten() && result.outcome() != JobRun.Outcome.REQUEUED && c != null) {
            commit(run.partition, run.offset);
        }
        current = null;
    }

    private void commit(TopicPartition tp, long offset) {
        KafkaConsumer<String, byte[]> c = consumer;
        if (c == null) {
            return;
        }
        try {
            Offsets.commitThrough(c, tp, offset);
        } catch (KafkaException e) {
            LOG.warnf(
                    "commit of %s@%d failed: %s; the record may be read again (its job is skipped once its"
                            + " status says it ended)",
                    tp, offset, e.toString());
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<String, byte[]> consumer;

        Rebalance(KafkaConsumer<String, byte[]> consumer) {
            this.consumer = consumer;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            JobRun run = current;
            if (run != null && partitions.contains(run.partition)) {
                giveBack(consumer, "its partition moved to another replica");
                consumer.resume(consumer.paused());
            }
            assignment = Set.copyOf(consumer.assignment());
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assignment = Set.copyOf(consumer.assignment());
            if (current != null) {
                consumer.pause(partitions);
            }
            LOG.debugf("job worker %s owns %s", settings.replicaId(), assignment);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            JobRun run = current;
            if (run != null && partitions.contains(run.partition)) {
                if (!run.isDone()) {
                    run.preempt("this replica lost its partition");
                }
                run.await(); // cannot commit: the partition is someone else's now
                current = null;
                consumer.resume(consumer.paused());
            }
            assignment = Set.of();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops taking jobs; a running job stops after its current step and goes back to the queue. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (thread != null) {
            thread.join(Duration.ofMinutes(10).toMillis());
        }
        trainingThread.shutdown();
    }
}
