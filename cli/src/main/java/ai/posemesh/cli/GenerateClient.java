package ai.posemesh.cli;

import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.PromptChunk;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.proto.inference.v1.UploadEnd;
import ai.posemesh.proto.inference.v1.UploadHeader;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A streaming client of inference-service's generation API ({@code posemesh.inference.v1.Inference}) over one
 * plaintext channel: a prompt goes whole (Generate) or, when large, in chunks that keep characters whole
 * (GenerateUpload); the calling thread pulls the responses one at a time; Ctrl-C and a deadline cancel the call on the
 * service. It prints nothing, so any command with {@code --endpoint} can use it ({@code pose generate} shows the
 * stream).
 */
final class GenerateClient implements AutoCloseable {

    /** inference-service's gRPC port, used when --endpoint names only a host. */
    static final int DEFAULT_PORT = 9082;
    /** Text prompts longer than this (UTF-8 bytes) go through GenerateUpload (gRPC's default message limit: 4 MiB). */
    static final int UPLOAD_TEXT_BYTES = 1 << 20;
    /** UTF-8 bytes per uploaded text chunk. */
    static final int CHUNK_TEXT_BYTES = 256 << 10;
    /** Token-id prompts with more ids than this go through GenerateUpload (an id takes up to 5 bytes). */
    static final int UPLOAD_IDS = 256 << 10;
    /** Token ids per uploaded chunk. */
    static final int CHUNK_IDS = 64 << 10;

    private final String target;
    private final ManagedChannel channel;

    /** A channel to {@code target} (see {@link #target(String)}); a malformed target is a CLI error (exit 2). */
    GenerateClient(String target) {
        this.target = target;
        this.channel = Grpc.channel(target);
    }

    /** An --endpoint value as a gRPC target: HOST:PORT as given, a bare host on {@link #DEFAULT_PORT}. */
    static String target(String endpoint) {
        return Grpc.target(endpoint, DEFAULT_PORT);
    }

    String target() {
        return target;
    }

    /**
     * Starts one call for {@code request}; {@code deadline} (null = none) counts from now, and when it passes the
     * service sees the call cancelled. Close the returned call when done with it.
     */
    Call generate(Request request, Duration deadline) {
        Deadline d = deadline == null ? null : Deadline.after(deadline.toNanos(), TimeUnit.NANOSECONDS);
        Call call = new Call();
        Runtime.getRuntime().addShutdownHook(call.hook);
        try {
            InferenceGrpc.InferenceStub stub = InferenceGrpc.newStub(channel).withDeadline(d);
            if (request.whole() != null) {
                stub.generate(request.whole(), call.observer(null));
            } else {
                stub.generateUpload(call.observer(request.upload().iterator()));
            }
            return call;
        } catch (RuntimeException | Error e) {
            call.close();
            throw e;
        }
    }

    /** Shuts the channel down (cancelling any call still open) and waits for it, briefly. */
    @Override
    public void close() {
        Grpc.close(channel);
    }

    /**
     * A prompt and how it travels: {@code whole} (Generate) or {@code upload} (GenerateUpload: header, chunks, end),
     * one of them null; {@code what} describes the prompt for people ("1,234 bytes of text", "9,001 token ids").
     */
    record Request(GenerateRequest whole, List<GenerateUploadRequest> upload, String what) {

        /**
         * A text prompt (the service tokenizes it and adds BOS), uploaded when {@code upload} or when over
         * {@link #UPLOAD_TEXT_BYTES}; {@code model} "" = the service's default.
         */
        static Request text(String model, SamplingParams sampling, String text, boolean upload) {
            long bytes = utf8Length(text);
            String what = String.format("%,d bytes of text", bytes);
            if (upload || bytes > UPLOAD_TEXT_BYTES) {
                List<PromptChunk> chunks = new ArrayList<>();
                for (String c : textChunks(text, CHUNK_TEXT_BYTES)) {
                    chunks.add(PromptChunk.newBuilder().setText(c).build());
                }
                return new Request(null, parts(model, sampling, chunks), what);
            }
            return new Request(
                    whole(model, sampling, Prompt.newBuilder().setText(text).build()), null, what);
        }

        /**
         * Token ids sent as they are (no BOS added), uploaded when {@code upload} or when more than
         * {@link #UPLOAD_IDS}; {@code model} "" = the service's default.
         */
        static Request ids(String model, SamplingParams sampling, int[] ids, boolean upload) {
            String what = String.format("%,d token ids", ids.length);
            if (upload || ids.length > UPLOAD_IDS) {
                List<PromptChunk> chunks = new ArrayList<>();
                for (int[] c : idChunks(ids, CHUNK_IDS)) {
                    chunks.add(PromptChunk.newBuilder().setTokens(tokenIds(c)).build());
                }
                return new Request(null, parts(model, sampling, chunks), what);
            }
            return new Request(
                    whole(
                            model,
                            sampling,
                            Prompt.newBuilder().setTokens(tokenIds(ids)).build()),
                    null,
                    what);
        }

        /** The prompt's chunks when uploaded; 0 when it goes whole. */
        int chunks() {
            return upload == null ? 0 : upload.size() - 2;
        }

        private static GenerateRequest whole(String model, SamplingParams sampling, Prompt prompt) {
            return GenerateRequest.newBuilder()
                    .setModel(model)
                    .setSampling(sampling)
                    .setPrompt(prompt)
                    .build();
        }

        private static List<GenerateUploadRequest> parts(
                String model, SamplingParams sampling, List<PromptChunk> chunks) {
            List<GenerateUploadRequest> parts = new ArrayList<>();
            parts.add(GenerateUploadRequest.newBuilder()
                    .setHeader(UploadHeader.newBuilder().setModel(model).setSampling(sampling))
                    .build());
            for (PromptChunk c : chunks) {
                parts.add(GenerateUploadRequest.newBuilder().setChunk(c).build());
            }
            parts.add(GenerateUploadRequest.newBuilder()
                    .setEnd(UploadEnd.getDefaultInstance())
                    .build());
            return parts;
        }

        private static TokenIds tokenIds(int[] ids) {
            TokenIds.Builder b = TokenIds.newBuilder();
            for (int id : ids) {
                b.addIds(id);
            }
            return b.build();
        }
    }

    /**
     * One call in flight. gRPC's threads queue the responses; the caller takes them with {@link #next}. Ctrl-C
     * cancels the call from a shutdown hook, which then waits (up to 3 s) for {@link #close}, so that the caller can
     * show what happened before the JVM exits.
     */
    static final class Call implements AutoCloseable {
        private static final Object COMPLETED = new Object();

        private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        private final AtomicReference<ClientCallStreamObserver<?>> call = new AtomicReference<>();
        private final AtomicBoolean interrupted = new AtomicBoolean();
        private final CountDownLatch closed = new CountDownLatch(1);
        private final Thread hook = new Thread(this::cancelFromHook, "pose-generate-cancel");
        /** The event that ended the stream (COMPLETED or a failure), once taken; only the caller's thread uses it. */
        private Object end;

        private Call() {}

        /**
         * The next response, or null once the stream has completed. A call interrupted while waiting is cancelled
         * and ends the command ("interrupted", exit 1).
         *
         * @throws StatusRuntimeException the call failed (its trailers, and so ErrorInfo details, kept); after Ctrl-C
         *     {@link #cancelledByUser} says so
         */
        GenerateResponse next() {
            Object e = end;
            if (e == null) {
                try {
                    e = events.take();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    cancel("interrupted");
                    throw new PoseCommand.CliException("interrupted", 1);
                }
                if (e == COMPLETED || e instanceof Throwable) {
                    end = e;
                }
            }
            if (e == COMPLETED) {
                return null;
            }
            if (e instanceof Throwable t) {
                throw asStatus(t);
            }
            return (GenerateResponse) e;
        }

        /** Whether Ctrl-C cancelled the call (its failure is then CANCELLED by the client). */
        boolean cancelledByUser() {
            return interrupted.get();
        }

        /** Cancels the call on the service; its stream then fails with CANCELLED. */
        void cancel(String why) {
            ClientCallStreamObserver<?> c = call.get();
            if (c != null) {
                c.cancel(why, null);
            }
        }

        /** Ends the call (cancelling it if its stream has not ended) and lets a waiting Ctrl-C go on. */
        @Override
        public void close() {
            if (end == null) {
                cancel("closed before the stream ended");
            }
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs; it finds the call closed
            }
        }

        /** Receives the responses; for an upload, sends {@code parts} as fast as the transport takes them. */
        private <Q> ClientResponseObserver<Q, GenerateResponse> observer(Iterator<Q> parts) {
            return new ClientResponseObserver<>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Q> requests) {
                    call.set(requests);
                    if (parts != null) {
                        AtomicBoolean halfClosed = new AtomicBoolean();
                        requests.setOnReadyHandler(() -> {
                            synchronized (parts) {
                                while (requests.isReady() && parts.hasNext()) {
                                    requests.onNext(parts.next());
                                }
                                if (!parts.hasNext() && halfClosed.compareAndSet(false, true)) {
                                    requests.onCompleted();
                                }
                            }
                        });
                    }
                }

                @Override
                public void onNext(GenerateResponse r) {
                    events.add(r);
                }

                @Override
                public void onError(Throwable t) {
                    events.add(t);
                }

                @Override
                public void onCompleted() {
                    events.add(COMPLETED);
                }
            };
        }

        /** Ctrl-C: cancel the call, let the calling thread show what happened. */
        private void cancelFromHook() {
            if (closed.getCount() == 0) {
                return;
            }
            interrupted.set(true);
            cancel("cancelled by the user (Ctrl-C)");
            try {
                closed.await(3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A failure from gRPC's observer as a StatusRuntimeException, trailers (and so ErrorInfo details) kept. */
    static StatusRuntimeException asStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        return Status.fromThrowable(t).asRuntimeException(Status.trailersFromThrowable(t));
    }

    /** The length of {@code s} in UTF-8 (a lone surrogate counts 3, as the most it can take). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            n += width(s, i);
            if (pair(s, i)) {
                i++;
            }
        }
        return n;
    }

    /**
     * {@code text} in consecutive pieces of at most {@code maxBytes} UTF-8 bytes each (>= 4), whose concatenation is
     * {@code text}: a piece never ends inside a surrogate pair, so every piece is valid text by itself.
     */
    static List<String> textChunks(String text, int maxBytes) {
        if (maxBytes < 4) {
            throw new IllegalArgumentException("maxBytes < 4: " + maxBytes);
        }
        List<String> chunks = new ArrayList<>();
        int start = 0;
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            int w = width(text, i);
            if (bytes + w > maxBytes) {
                chunks.add(text.substring(start, i));
                start = i;
                bytes = 0;
            }
            bytes += w;
            if (pair(text, i)) {
                i++;
            }
        }
        if (start < text.length()) {
            chunks.add(text.substring(start));
        }
        return chunks;
    }

    /** UTF-8 bytes of the character at i (4 for a surrogate pair starting there). */
    private static int width(String s, int i) {
        char c = s.charAt(i);
        return c < 0x80 ? 1 : c < 0x800 ? 2 : pair(s, i) ? 4 : 3;
    }

    private static boolean pair(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i))
                && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** {@code ids} in consecutive pieces of at most {@code max} ids. */
    static List<int[]> idChunks(int[] ids, int max) {
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < ids.length; from += max) {
            chunks.add(Arrays.copyOfRange(ids, from, Math.min(ids.length, from + max)));
        }
        return chunks;
    }
}
