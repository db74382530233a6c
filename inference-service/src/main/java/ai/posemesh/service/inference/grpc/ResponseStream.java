package ai.posemesh.service.inference.grpc;

import ai.posemesh.serve.Cancellation;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The response side of one streaming call. The client cancelling (or its deadline passing) sets the request's
 * {@link Cancellation} — the engine stops within a chunk or a step — and frees an admitted request that has not started
 * yet at once. Sends come from a worker thread and wait while the transport is not ready, so a slow reader slows
 * decoding instead of growing a buffer.
 */
final class ResponseStream<T> {

    private final ServerCallStreamObserver<T> out;
    private final Cancellation cancel = new Cancellation();
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private final Set<Cancellation> active;
    private boolean ended;

    /** Must be created inside the service method (gRPC freezes the handlers when it returns). */
    ResponseStream(StreamObserver<T> observer, Set<Cancellation> active) {
        this.out = (ServerCallStreamObserver<T>) observer;
        this.active = active;
        active.add(cancel);
        out.setOnCancelHandler(() -> {
            cancel.cancel();
            active.remove(cancel);
            onCancel.forEach(Runnable::run);
            wake();
        });
        out.setOnReadyHandler(this::wake);
    }

    Cancellation cancellation() {
        return cancel;
    }

    /**
     * Runs admitted work on {@code workers}, closing it afterwards. Cancelled before a worker takes it (or while it
     * was being admitted), it is closed at once and never runs.
     */
    <P extends AutoCloseable> void run(ExecutorService workers, P prepared, Consumer<P> work) {
        AtomicBoolean claimed = new AtomicBoolean();
        Runnable release = () -> {
            if (claimed.compareAndSet(false, true)) {
                close(prepared);
            }
        };
        onCancel.add(release);
        if (cancel.isCancelled()) {
            release.run();
            return;
        }
        try {
            workers.execute(() -> {
                if (!claimed.compareAndSet(false, true)) {
                    return;
                }
                try {
                    work.accept(prepared);
                    complete();
                } catch (Throwable t) {
                    fail(t);
                } finally {
                    close(prepared);
                }
            });
        } catch (RejectedExecutionException e) {
            release.run();
            fail(Status.UNAVAILABLE
                    .withDescription("the server is shutting down")
                    .asRuntimeException());
        }
    }

    /** Sends one message once the transport is ready; dropped when the call was cancelled. */
    void send(T message) {
        synchronized (this) {
            while (!out.isReady() && !cancel.isCancelled() && !ended) {
                try {
                    wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    cancel.cancel();
                }
            }
            if (!cancel.isCancelled() && !ended) {
                out.onNext(message);
            }
        }
    }

    synchronized void complete() {
        if (!ended && !cancel.isCancelled()) {
            out.onCompleted();
        }
        end();
    }

    synchronized void fail(Throwable t) {
        if (!ended && !cancel.isCancelled()) {
            out.onError(GrpcErrors.of(t));
        }
        end();
    }

    private void end() {
        ended = true;
        active.remove(cancel);
    }

    private synchronized void wake() {
        notifyAll();
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
