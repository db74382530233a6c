package ai.posemesh.serve;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A request's cancel flag. The adapter sets it when the client cancels or its deadline passes; the engine checks it
 * between prefill chunks and decode steps, so a cancelled request stops within one chunk and frees its slot.
 */
public final class Cancellation implements BooleanSupplier {

    private final AtomicBoolean cancelled = new AtomicBoolean();

    public void cancel() {
        cancelled.set(true);
    }

    public boolean isCancelled() {
        return cancelled.get();
    }

    @Override
    public boolean getAsBoolean() {
        return cancelled.get();
    }
}
