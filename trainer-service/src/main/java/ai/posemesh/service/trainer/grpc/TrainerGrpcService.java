package ai.posemesh.service.trainer.grpc;

import ai.posemesh.kafka.KafkaWriteException;
import ai.posemesh.proto.trainer.v1.CancelJobRequest;
import ai.posemesh.proto.trainer.v1.CancelJobResponse;
import ai.posemesh.proto.trainer.v1.JobInfo;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobUpdate;
import ai.posemesh.proto.trainer.v1.ListJobsRequest;
import ai.posemesh.proto.trainer.v1.ListJobsResponse;
import ai.posemesh.proto.trainer.v1.SubmitJobRequest;
import ai.posemesh.proto.trainer.v1.SubmitJobResponse;
import ai.posemesh.proto.trainer.v1.WatchJobRequest;
import ai.posemesh.service.trainer.TrainerRuntime;
import ai.posemesh.service.trainer.jobs.JobStates;
import ai.posemesh.train.TrainException;
import io.grpc.Status;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** The Trainer API: maps gRPC onto {@link ai.posemesh.service.trainer.jobs.TrainerJobs} and the job status view. */
@GrpcService
public class TrainerGrpcService implements ai.posemesh.proto.trainer.v1.Trainer {

    private static final Logger LOG = Logger.getLogger(TrainerGrpcService.class);
    /** Updates a slow WatchJob client may fall behind by before its stream fails. */
    private static final int WATCH_BUFFER = 8192;

    @Inject
    TrainerRuntime runtime;

    @Override
    @Blocking
    public Uni<SubmitJobResponse> submitJob(SubmitJobRequest request) {
        return Uni.createFrom().item(() -> {
            try {
                String jobId = JobStates.newJobId();
                JobSpec spec = runtime.jobs().validate(request.getSpec(), jobId);
                if (!runtime.topicsReady()) {
                    throw GrpcErrors.status(Status.UNAVAILABLE, "Kafka is not ready: " + runtime.topicsError());
                }
                SubmitJobResponse r = runtime.jobs().queue(jobId, spec);
                LOG.infof("job %s queued: %s", r.getJobId(), r.getSpec().getOut());
                return r;
            } catch (TrainException e) {
                throw GrpcErrors.of(e);
            } catch (KafkaWriteException e) {
                throw GrpcErrors.status(Status.UNAVAILABLE, "the job could not be queued: " + e.getMessage());
            }
        });
    }

    @Override
    @Blocking
    public Multi<JobUpdate> watchJob(WatchJobRequest request) {
        String jobId = request.getJobId();
        if (jobId.isBlank()) {
            return Multi.createFrom().failure(GrpcErrors.status(Status.INVALID_ARGUMENT, "job_id: is required"));
        }
        try {
            if (runtime.jobs().get(jobId) == null) {
                runtime.view().sync(Duration.ofSeconds(5)); // submitted on another replica a moment ago?
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (runtime.jobs().get(jobId) == null) {
            return Multi.createFrom().failure(GrpcErrors.status(Status.NOT_FOUND, "no job " + jobId));
        }
        return Multi.createFrom()
                .emitter(
                        emitter -> {
                            JobWatcher watcher = new JobWatcher(jobId, emitter);
                            AutoCloseable steps = runtime.bus().subscribe(jobId, watcher::onProgress);
                            AutoCloseable snapshots = runtime.view().watch(jobId, watcher::onSnapshot);
                            emitter.onTermination(() -> {
                                close(steps);
                                close(snapshots);
                            });
                            watcher.onSnapshot(
                                    runtime.jobs().get(jobId)); // after subscribing, so nothing falls in between
                        },
                        WATCH_BUFFER);
    }

    @Override
    @Blocking
    public Uni<CancelJobResponse> cancelJob(CancelJobRequest request) {
        return Uni.createFrom().item(() -> {
            if (request.getJobId().isBlank()) {
                throw GrpcErrors.status(Status.INVALID_ARGUMENT, "job_id: is required");
            }
            try {
                JobInfo job = runtime.jobs().cancel(request.getJobId(), request.getReason());
                return CancelJobResponse.newBuilder().setJob(job).build();
            } catch (NoSuchElementException e) {
                throw GrpcErrors.status(Status.NOT_FOUND, e.getMessage());
            } catch (KafkaWriteException e) {
                throw GrpcErrors.status(
                        Status.UNAVAILABLE, "the cancel request could not be recorded: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw GrpcErrors.status(Status.CANCELLED, "interrupted");
            }
        });
    }

    @Override
    public Uni<ListJobsResponse> listJobs(ListJobsRequest request) {
        Set<JobState> states = request.getStatesList().stream().collect(Collectors.toSet());
        return Uni.createFrom()
                .item(() -> ListJobsResponse.newBuilder()
                        .addAllJobs(runtime.jobs().list(states, request.getLimit()))
                        .build());
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            LOG.debugf("closing a watch: %s", e);
        }
    }
}
