package ai.posemesh.service.trainer.jobs;

import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.StepProgress;
import ai.posemesh.proto.trainer.v1.TrainJobRecord;
import ai.posemesh.service.trainer.TrainerSettings;
import ai.posemesh.service.trainer.kafka.TrainerRecords;
import ai.posemesh.service.trainer.kafka.TrainerRecords.KafkaWriteException;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainListener;
import ai.posemesh.train.TrainSpec;
import ai.posemesh.train.loop.Checkpoints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * One attempt at one job on this replica: calls the training library and turns what it reports into status
 * snapshots, live progress and CheckpointPublished events. Holds no training logic.
 */
final class JobRun implements TrainListener {

    private static final Logger LOG = Logger.getLogger(JobRun.class);

    /** How an attempt ended. REQUEUED: this replica gave the job back (shutdown, rebalance); it runs again. */
    enum Outcome {
        SUCCEEDED,
        FAILED,
        CANCELLED,
        REQUEUED
    }

    /** @param statusWritten whether the final status snapshot reached the broker (the offset commit waits for it) */
    record Result(Outcome outcome, String reason, boolean statusWritten) {}

    final String jobId;
    final TopicPartition partition;
    final long offset;
    private final TrainJobRecord record;
    private final TrainSpec spec;
    private final TrainerSettings settings;
    private final JobStatusView view;
    private final TrainerRecords records;
    private final ProgressBus bus;
    private final BooleanSupplier workerClosing;
    private final CompletableFuture<Result> done = new CompletableFuture<>();
    private volatile String preemptedBecause;
    private volatile String cancelReason;
    private JobInfo info; // this attempt's authoritative snapshot; guarded by this
    private long lastProgressWriteNanos;

    JobRun(
            TrainJobRecord record,
            TrainSpec spec,
            TopicPartition partition,
            long offset,
            TrainerSettings settings,
            JobStatusView view,
            TrainerRecords records,
            ProgressBus bus,
            BooleanSupplier workerClosing) {
        this.jobId = record.getJobId();
        this.record = record;
        this.spec = spec;
        this.partition = partition;
        this.offset = offset;
        this.settings = settings;
        this.view = view;
        this.records = records;
        this.bus = bus;
        this.workerClosing = workerClosing;
    }

    /** On the worker's poll thread: the RUNNING snapshot, then the training on {@code executor}. */
    void start(Executor executor) {
        JobInfo known = view.get(jobId);
        JobInfo.Builder b = known != null
                ? known.toBuilder()
                : JobInfo.newBuilder()
                        .setJobId(jobId)
                        .setSpec(record.getSpec())
                        .setSubmittedAtMs(record.getSubmittedAtMs());
        int attempt = b.getAttempts() + 1;
        JobInfo running = b.setState(JobState.JOB_STATE_RUNNING)
                .setReason(
                        attempt > 1
                                ? "attempt " + attempt + ": resuming from the last checkpoint in " + spec.out()
                                : "")
                .setReplica(settings.replicaId())
                .setAttempts(attempt)
                .clearProgress()
                .setUpdatedAtMs(System.currentTimeMillis())
                .build();
        synchronized (this) {
            info = running;
        }
        try {
            records.writeStatus(running);
        } catch (KafkaWriteException e) {
            LOG.warnf("job %s: RUNNING not recorded (%s); training anyway", jobId, e.getMessage());
        }
        LOG.infof(
                "job %s: attempt %d on %s (%s-%d@%d)",
                jobId, attempt, settings.replicaId(), partition.topic(), partition.partition(), offset);
        executor.execute(this::train);
    }

    private void train() {
        Outcome outcome;
        String reason;
        try {
            announceUnpublished();
            ai.posemesh.train.loop.Trainer.run(spec, settings.dataRoot(), this);
            outcome = Outcome.SUCCEEDED;
            reason = "";
        } catch (CancellationException e) {
            if (preemptedBecause != null) {
                outcome = Outcome.REQUEUED;
                reason = "given back by " + settings.replicaId() + " (" + preemptedBecause
                        + "); it resumes from its last checkpoint";
            } else {
                outcome = Outcome.CANCELLED;
                reason = cancelReason != null ? cancelReason : "cancelled";
            }
        } catch (TrainException e) {
            outcome = Outcome.FAILED;
            reason = e.kind() + ": " + e.getMessage();
        } catch (Throwable t) {
            if (preemptedBecause != null) {
                outcome = Outcome.REQUEUED;
                reason = "given back by " + settings.replicaId() + " (" + preemptedBecause + ") after " + t;
            } else {
                outcome = Outcome.FAILED;
                reason = t.toString();
            }
            LOG.errorf(t, "job %s failed", jobId);
        }
        JobState state = switch (outcome) {
            case SUCCEEDED -> JobState.JOB_STATE_SUCCEEDED;
            case FAILED -> JobState.JOB_STATE_FAILED;
            case CANCELLED -> JobState.JOB_STATE_CANCELLED;
            case REQUEUED -> JobState.JOB_STATE_QUEUED;
        };
        JobInfo last;
        synchronized (this) {
            info = info.toBuilder()
                    .setState(state)
                    .setReason(reason)
                    .setUpdatedAtMs(System.currentTimeMillis())
                    .build();
            last = info;
        }
        LOG.infof("job %s: %s%s", jobId, state, reason.isEmpty() ? "" : " (" + reason + ")");
        done.complete(new Result(outcome, reason, writeFinal(last, outcome != Outcome.REQUEUED)));
    }

    /**
     * A job taken over from a replica that died may find checkpoints on disk that were never announced (it died
     * after the checkpoint was renamed into place, before the broker acknowledged its event); the training library
     * resumes from them without reporting them again. Announce those first (at-least-once: an event that did get out
     * is sent again with the same key and content, except published_at_ms).
     */
    private void announceUnpublished() throws IOException {
        JobInfo known;
        synchronized (this) {
            known = info;
        }
        if (known.getAttempts() <= 1 || !Files.isDirectory(spec.out())) {
            return;
        }
        Set<String> announced = new HashSet<>();
        known.getCheckpointsList().forEach(c -> announced.add(c.getCheckpointId()));
        List<Path> dirs;
        try (Stream<Path> s = Files.list(spec.out())) {
            dirs = s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d{6}"))
                    .filter(p -> Files.isRegularFile(p.resolve(CheckpointManifest.FILE)))
                    .sorted()
                    .toList();
        }
        for (Path dir : dirs) {
            if (!announced.contains(CheckpointEvents.checkpointId(jobId, dir))) {
                LOG.infof("job %s: announcing %s, found on disk", jobId, dir);
                onCheckpoint(Checkpoints.describe(dir));
            }
        }
    }

    /**
     * Writes the final snapshot. A terminal one is retried (for about two minutes, or until the worker closes):
     * the job's offset is committed only after it was written.
     */
    private boolean writeFinal(JobInfo last, boolean retry) {
        long deadline = System.nanoTime() + 120_000_000_000L;
        for (long backoffMs = 500; ; backoffMs = Math.min(backoffMs * 2, 10_000)) {
            try {
                records.writeStatus(last);
                return true;
            } catch (KafkaWriteException e) {
                if (!retry || workerClosing.getAsBoolean() || System.nanoTime() > deadline) {
                    LOG.warnf("job %s: final status %s not recorded: %s", jobId, last.getState(), e.getMessage());
                    return false;
                }
                LOG.warnf("job %s: final status not recorded yet (%s); retrying", jobId, e.getMessage());
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Asks the job to stop after its current step and to go back to the queue (not cancelled: it runs again). */
    void preempt(String because) {
        preemptedBecause = because;
    }

    boolean isDone() {
        return done.isDone();
    }

    Result await() {
        return done.join();
    }

    // ---- TrainListener: called by the training library on the training thread ----

    @Override
    public void onStart(int firstStep, int totalSteps) {
        progress(
                StepProgress.newBuilder()
                        .setStep(firstStep)
                        .setTotalSteps(totalSteps)
                        .build(),
                true);
    }

    @Override
    public void onStep(StepStats s) {
        progress(
                StepProgress.newBuilder()
                        .setStep(s.step())
                        .setTotalSteps(s.totalSteps())
                        .setLoss(s.loss())
                        .setLr(s.lr())
                        .setTokensPerSecond(s.tokensPerSecond())
                        .setEtaSeconds(s.etaSeconds())
                        .setTokensSeen(s.tokensSeen())
                        .build(),
                false);
    }

    private void progress(StepProgress p, boolean force) {
        bus.publish(jobId, p);
        JobInfo snapshot = null;
        synchronized (this) {
            info = info.toBuilder()
                    .setProgress(p)
                    .setUpdatedAtMs(System.currentTimeMillis())
                    .build();
            long now = System.nanoTime();
            if (force
                    || now - lastProgressWriteNanos
                            >= settings.progressInterval().toNanos()) {
                lastProgressWriteNanos = now;
                snapshot = info;
            }
        }
        if (snapshot != null) {
            records.writeStatusLater(snapshot);
        }
    }

    /**
     * The checkpoint is complete on disk: publish CheckpointPublished and wait for the broker before training goes
     * on, then record it in the job's status. A checkpoint that cannot be announced fails the job (the exception
     * propagates out of the training loop).
     */
    @Override
    public void onCheckpoint(Checkpoint cp) {
        CheckpointPublished event = CheckpointEvents.event(jobId, settings.replicaId(), spec, cp);
        try {
            records.publishCheckpoint(event);
        } catch (KafkaWriteException e) {
            throw new IllegalStateException(
                    "checkpoint " + cp.dir() + " is on disk but could not be announced: " + e.getMessage(), e);
        }
        LOG.infof(
                "job %s: checkpoint %s (step %d%s) published",
                jobId, event.getUri(), cp.step(), cp.last() ? ", last" : "");
        JobInfo snapshot;
        synchronized (this) {
            info = info.toBuilder()
                    .addCheckpoints(CheckpointEvents.ref(event))
                    .setUpdatedAtMs(System.currentTimeMillis())
                    .build();
            snapshot = info;
        }
        try {
            records.writeStatus(snapshot);
        } catch (KafkaWriteException e) {
            LOG.warnf("job %s: checkpoint not recorded in the status topic: %s", jobId, e.getMessage());
        }
    }

    @Override
    public boolean cancelled() {
        if (preemptedBecause != null) {
            return true;
        }
        if (view.cancelRequested(jobId)) {
            if (cancelReason == null) {
                JobInfo j = view.get(jobId);
                cancelReason = j != null && !j.getReason().isEmpty() ? j.getReason() : "cancelled on request";
            }
            return true;
        }
        return false;
    }
}
