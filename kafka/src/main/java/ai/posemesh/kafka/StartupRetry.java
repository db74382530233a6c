package ai.posemesh.kafka;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Start-up work that waits for Kafka (topics, a corpus, …) off the start-up thread, so HTTP (liveness) and gRPC serve
 * meanwhile: {@code attempt} runs on a daemon thread, again every {@code interval} while it returns false, until it
 * returns true or this is closed.
 */
public final class StartupRetry implements AutoCloseable {

    private final Thread thread;
    private volatile boolean stopping;

    private StartupRetry(String threadName, Duration interval, BooleanSupplier attempt) {
        thread = new Thread(
                () -> {
                    while (!stopping && !attempt.getAsBoolean()) {
                        try {
                            Thread.sleep(interval.toMillis());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                threadName);
        thread.setDaemon(true);
    }

    public static StartupRetry start(String threadName, Duration interval, BooleanSupplier attempt) {
        StartupRetry r = new StartupRetry(threadName, interval, attempt);
        r.thread.start();
        return r;
    }

    /** No further attempt starts; a wait between attempts ends at once. */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
    }
}
