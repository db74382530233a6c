package ai.posemesh.cli;

import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobUpdate;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.proto.trainer.v1.StepProgress;
import ai.posemesh.proto.trainer.v1.SubmitJobRequest;
import ai.posemesh.proto.trainer.v1.SubmitJobResponse;
import ai.posemesh.proto.trainer.v1.TrainerGrpc;
import ai.posemesh.proto.trainer.v1.WatchJobRequest;
import ai.posemesh.train.TrainListener;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code ./pose train --endpoint}: a Trainer API client. SubmitJob, then WatchJob until the job ends, shown with the
 * local {@link TrainCommand.ProgressBar}. Leaving (Ctrl-C, a dropped connection) never cancels the job.
 */
final class RemoteTrain {

    /** The trainer-service's gRPC port, used when --endpoint names only a host. */
    static final int DEFAULT_PORT = 9081;
    /** SubmitJob validates the spec, reads the base's config.json and writes two Kafka records. */
    private static final long SUBMIT_DEADLINE_SECONDS = 60;

    private RemoteTrain() {}

    /** Submits the job, prints its id, and follows it to its end. */
    static int submit(String endpoint, JobSpec spec, PrintWriter out, PrintWriter err) {
        String target = target(endpoint);
        ManagedChannel channel = channel(target);
        try {
            SubmitJobResponse submitted;
            try {
                submitted = TrainerGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(SUBMIT_DEADLINE_SECONDS, TimeUnit.SECONDS)
                        .submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build());
            } catch (StatusRuntimeException e) {
                throw error(e, target, null);
            }
            out.printf(
                    "job %s submitted to %s (out: %s)%n",
                    submitted.getJobId(), target, submitted.getSpec().getOut());
            out.flush();
            return watch(channel, target, submitted.getJobId(), submitted.getSpec(), out, err);
        } finally {
            close(channel);
        }
    }

    /** Follows a job submitted earlier (its current state first, then its updates). */
    static int follow(String endpoint, String jobId, PrintWriter out, PrintWriter err) {
        String target = target(endpoint);
        ManagedChannel channel = channel(target);
        try {
            return watch(channel, target, jobId, null, out, err);
        } finally {
            close(channel);
        }
    }

    /**
     * Streams WatchJob into the progress bar; returns 0 when the job SUCCEEDED and throws a one-line error otherwise.
     *
     * @param spec the job's resolved spec when known (for the throughput line), else null
     */
    private static int watch(
            ManagedChannel channel, String target, String jobId, JobSpec spec, PrintWriter out, PrintWriter err) {
        String again = "./pose train --endpoint " + target + " --job " + jobId;
        err.printf("following job %s; Ctrl-C stops following, not the job (follow it again: %s)%n", jobId, again);
        err.flush();
        AtomicBoolean following = new AtomicBoolean(true);
        Thread detach = new Thread(
                () -> {
                    if (following.get()) {
                        err.printf(
                                "%nstopped following job %s; it keeps running on %s (follow it again: %s)%n",
                                jobId, target, again);
                        err.flush();
                    }
                },
                "pose-train-detach");
        Runtime.getRuntime().addShutdownHook(detach);
        TrainCommand.ProgressBar bar = new TrainCommand.ProgressBar(err);
        JobState state = JobState.JOB_STATE_UNSPECIFIED;
        String reason = "";
        CheckpointRef last = null;
        try {
            Iterator<JobUpdate> updates = TrainerGrpc.newBlockingStub(channel)
                    .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).build());
            while (updates.hasNext()) {
                JobUpdate u = updates.next();
                switch (u.getUpdateCase()) {
                    case PROGRESS -> bar.onStep(stats(u.getProgress()));
                    case CHECKPOINT -> {
                        CheckpointRef c = u.getCheckpoint();
                        bar.onCheckpoint(checkpoint(c));
                        if (last == null || c.getStep() >= last.getStep()) {
                            last = c;
                        }
                    }
                    case STATE -> {
                        state = u.getState().getState();
                        reason = u.getState().getReason();
                        if (state == JobState.JOB_STATE_QUEUED || state == JobState.JOB_STATE_RUNNING) {
                            bar.breakLine();
                            err.printf("job %s %s%s%n", jobId, name(state), reason.isEmpty() ? "" : ": " + reason);
                            err.flush();
                        }
                    }
                    case UPDATE_NOT_SET -> {} // a newer service's update kind: nothing to show
                }
            }
        } catch (StatusRuntimeException e) {
            bar.breakLine();
            throw error(e, target, jobId);
        } finally {
            following.set(false);
            try {
                Runtime.getRuntime().removeShutdownHook(detach);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs (and prints nothing: following is false)
            }
        }
        bar.breakLine();
        switch (state) {
            case JOB_STATE_SUCCEEDED -> {
                if (last != null) {
                    out.printf(
                            "done: %s (step %d, train loss %.4f, manifest sha256 %s)%n",
                            dir(last.getUri()), last.getStep(), last.getTrainLoss(), last.getManifestSha256());
                } else {
                    out.printf("done: job %s succeeded%n", jobId);
                }
                TrainListener.StepStats s = bar.lastStats;
                if (s != null && s.tokensPerSecond() > 0) {
                    if (spec != null) {
                        int input = spec.getMethod() == Method.METHOD_FULL ? spec.getTargetLen() : spec.getTrainLen();
                        out.printf(
                                "throughput: %.3f s/step, %,.0f tokens/s%n",
                                (double) spec.getBatchSize() * input / s.tokensPerSecond(), s.tokensPerSecond());
                    } else {
                        out.printf("throughput: %,.0f tokens/s%n", s.tokensPerSecond());
                    }
                }
                out.flush();
                return 0;
            }
            case JOB_STATE_FAILED, JOB_STATE_CANCELLED ->
                throw new PoseCommand.CliException(
                        "job " + jobId + " " + name(state) + (reason.isEmpty() ? "" : ": " + reason), 1);
            default ->
                throw new PoseCommand.CliException(
                        "the job's stream ended while it was " + name(state) + "; follow it again: " + again, 1);
        }
    }

    /** HOST:PORT (or any gRPC target URI) as given; a bare host gets the trainer's port 9081. */
    static String target(String endpoint) {
        return Grpc.target(endpoint, DEFAULT_PORT);
    }

    private static ManagedChannel channel(String target) {
        return Grpc.channel(target);
    }

    private static void close(ManagedChannel channel) {
        Grpc.close(channel);
    }

    /**
     * A gRPC failure as one line, {@code CODE: description} ({@link Grpc#error}): exit 2 when the service rejected
     * the request, 1 otherwise, then with where the job may still run. The trainer's ErrorInfo repeats the
     * description's field, so it is not printed.
     */
    static PoseCommand.CliException error(StatusRuntimeException e, String target, String jobId) {
        PoseCommand.CliException c = Grpc.error(e, "trainer-service", target, false);
        if (c.exitCode == 1 && jobId != null) {
            return new PoseCommand.CliException(
                    c.getMessage() + "; job " + jobId + " may still be running: follow it again with --endpoint "
                            + target + " --job " + jobId,
                    1);
        }
        return c;
    }

    static TrainListener.StepStats stats(StepProgress p) {
        return new TrainListener.StepStats(
                p.getStep(),
                p.getTotalSteps(),
                p.getLoss(),
                p.getLr(),
                p.getTokensPerSecond(),
                p.getEtaSeconds(),
                p.getTokensSeen());
    }

    /** A checkpoint as the progress bar shows it (RoPE, length, wall time and peak RSS are not streamed). */
    static TrainListener.Checkpoint checkpoint(CheckpointRef c) {
        return new TrainListener.Checkpoint(
                dir(c.getUri()), c.getStep(), c.getManifestSha256(), null, 0, c.getTrainLoss(), 0, 0, c.getLast());
    }

    /** The checkpoint directory of a file:// URI (the path on the service's machine). */
    static Path dir(String uri) {
        try {
            return Path.of(URI.create(uri));
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return Path.of(uri);
        }
    }

    /** SUCCEEDED, FAILED, ... for JOB_STATE_SUCCEEDED, JOB_STATE_FAILED, ... */
    static String name(JobState s) {
        return s.name().replace("JOB_STATE_", "");
    }
}
