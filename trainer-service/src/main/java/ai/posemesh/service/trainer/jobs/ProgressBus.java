package ai.posemesh.service.trainer.jobs;

import ai.posemesh.proto.trainer.v1.StepProgress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Every step of the jobs this replica runs, to this replica's WatchJob streams (in process; other replicas see
 * progress through the status topic, at {@code posemesh.trainer.progress-interval}).
 */
public final class ProgressBus {

    private static final Logger LOG = Logger.getLogger(ProgressBus.class);

    private final ConcurrentHashMap<String, CopyOnWriteArrayList<Consumer<StepProgress>>> subscribers =
            new ConcurrentHashMap<>();

    public void publish(String jobId, StepProgress progress) {
        List<Consumer<StepProgress>> subs = subscribers.get(jobId);
        if (subs != null) {
            for (Consumer<StepProgress> s : subs) {
                try {
                    s.accept(progress);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "progress subscriber of %s failed", jobId);
                }
            }
        }
    }

    public AutoCloseable subscribe(String jobId, Consumer<StepProgress> subscriber) {
        subscribers.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(subscriber);
        return () -> subscribers.computeIfPresent(jobId, (k, list) -> {
            list.remove(subscriber);
            return list.isEmpty() ? null : list;
        });
    }
}
