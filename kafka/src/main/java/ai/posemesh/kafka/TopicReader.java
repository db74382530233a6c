package ai.posemesh.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
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

/**
 * A topic read whole and kept up with, by a background thread: every partition assigned (no consumer group, nothing
 * committed), read from the beginning, each record handed to {@code fold}. The caller's fold holds the state (the
 * trainer's job status view, eval-service's results view); this says how complete it is: {@link #isCaughtUp} once the
 * topic was read up to where it ended when reading began, and {@link #sync} reads up to where it ends at the call
 * (read-your-writes across replicas). A failure closes the consumer and reads the topic again from the beginning a
 * second later, so a fold must take a record it has seen before; a topic that does not exist (yet) is asked for
 * again every second.
 */
public final class TopicReader implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TopicReader.class.getName());
    private static final Duration POLL = Duration.ofMillis(250);

    private final Map<String, Object> kafka;
    private final String topic;
    private final String clientId;
    private final String threadName;
    private final Consumer<ConsumerRecord<String, byte[]>> fold;
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> syncRequests = new ConcurrentLinkedQueue<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile String lastError;
    private Thread thread;

    /**
     * @param kafka the operator's client properties ({@link KafkaClients#reader})
     * @param threadName the reading thread's name (also names this reader in the log)
     * @param fold takes every record, on the reading thread
     */
    public TopicReader(
            Map<String, Object> kafka,
            String topic,
            String clientId,
            String threadName,
            Consumer<ConsumerRecord<String, byte[]>> fold) {
        this.kafka = kafka;
        this.topic = topic;
        this.clientId = clientId;
        this.threadName = threadName;
        this.fold = fold;
    }

    /** Starts reading (once; later calls do nothing). */
    public synchronized void start() {
        if (thread == null) {
            thread = new Thread(this::loop, threadName);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** True once the topic was read up to where it ended when this reader began. */
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

    /** Null once caught up; before, what keeps it: "reading", or the last error (a readiness check's answer). */
    public String notCaughtUpBecause() {
        if (isCaughtUp()) {
            return null;
        }
        String e = lastError;
        return e == null ? "reading" : e;
    }

    /**
     * Waits until this reader has folded every record written before the call.
     *
     * @return false when that did not happen within the timeout
     */
    public boolean sync(Duration timeout) throws InterruptedException {
        CompletableFuture<Void> f = new CompletableFuture<>();
        syncRequests.add(f); // the reading thread takes it within one poll (250 ms)
        try {
            f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
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
                        for (ConsumerRecord<String, byte[]> r : c.poll(POLL)) {
                            fold.accept(r);
                        }
                    } catch (WakeupException e) {
                        break; // close()
                    }
                    lastError = null;
                    if (caughtUp.getCount() > 0 && reached(c, startEnd)) {
                        caughtUp.countDown();
                        LOG.log(System.Logger.Level.DEBUG, "{0} caught up with {1}", threadName, topic);
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
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "{0} reading {1}: {2}; reading it again",
                            threadName,
                            topic,
                            e.toString());
                    sleep(1000);
                }
            } finally {
                consumer = null;
            }
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

    /** Stops reading (waits up to 10 s for the thread). */
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
