package ai.posemesh.service.inference.openai;

import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.InferenceEngine;
import ai.posemesh.serve.Prompt;
import ai.posemesh.serve.generate.Detokenizer;
import ai.posemesh.serve.generate.FinishReason;
import ai.posemesh.serve.generate.Generation;
import ai.posemesh.serve.generate.GenerationListener;
import ai.posemesh.serve.generate.GenerationResult;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.score.ScoreChunk;
import ai.posemesh.serve.score.ScoreOptions;
import ai.posemesh.serve.score.Scoring;
import ai.posemesh.service.inference.InferenceRuntime;
import ai.posemesh.service.inference.metrics.InferenceMetrics;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One {@code /v1/completions} request, run through the engine on the calling (HTTP worker) thread: each prompt in
 * order, each piece of model work checked and admitted here, then run on the engine's worker threads (the same pool
 * and token budget as gRPC) while this thread waits. Per prompt:
 * <ul>
 *   <li>echo with logprobs: a Score pass over the prompt ({@code Scoring}, the numbers gRPC Score returns) gives each
 *       prompt token's logprob and alternatives; the first token has none (null), as in OpenAI's API;
 *   <li>max_tokens > 0: a {@link Generation}; each token's logprob and alternatives come from the same logits it was
 *       chosen from.
 * </ul>
 * A client that goes away cancels the request (noticed within 100 ms): work not yet on a worker is released at once,
 * running work stops within a prefill chunk or decode step.
 */
final class Completion {

    /** How often a request waiting for its model work checks that its client is still connected. */
    private static final long CLIENT_POLL_MS = 100;

    /** Where a request's output goes: collected for one JSON response, or streamed as SSE chunks. */
    interface Sink {
        /** Text (and its tokens' logprobs, when asked) appended to choice {@code index}; called on worker threads. */
        void text(int index, String text, Logprobs logprobs);

        /** Choice {@code index} is complete: "length" or "stop". */
        void finish(int index, String reason);
    }

    final String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
    final long created = System.currentTimeMillis() / 1000;
    final CompletionRequest req;
    /** The model's name (an empty request model: the only or first loaded). */
    final String model;

    final Cancellation cancel = new Cancellation();
    private final InferenceRuntime runtime;
    private final InferenceMetrics metrics;
    private final InferenceEngine engine;
    private final LoadedModel loaded;
    private final TokenTexts names;
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private final BooleanSupplier clientGone;
    private int promptTokens;
    private int completionTokens;

    /** @param clientGone whether the client's connection has closed (polled while model work runs) */
    Completion(InferenceRuntime runtime, InferenceMetrics metrics, CompletionRequest req, BooleanSupplier clientGone) {
        this.runtime = runtime;
        this.clientGone = clientGone;
        this.metrics = metrics;
        this.req = req;
        this.engine = runtime.engine();
        this.loaded = runtime.registry().get(req.model());
        this.model = loaded.name();
        this.names = new TokenTexts(loaded.tokenizer());
    }

    /** The client went away (or the server stops): release what waits for a worker, stop what runs. */
    void cancel() {
        cancel.cancel();
        onCancel.forEach(Runnable::run);
    }

    int promptTokens() {
        return promptTokens;
    }

    int completionTokens() {
        return completionTokens;
    }

    PromptRun prompt(int index) {
        return new PromptRun(index, req.prompts().get(index));
    }

    /** Runs every prompt in order; {@code first}, when given, is prompt 0 already admitted. */
    void run(Sink sink, PromptRun first) {
        try {
            for (int i = 0; i < req.prompts().size(); i++) {
                try (PromptRun p = i == 0 && first != null ? first : prompt(i)) {
                    if (p != first) {
                        p.admit();
                    }
                    p.run(sink);
                }
            }
        } finally {
            if (first != null) {
                first.close();
            }
        }
    }

    /** One prompt: its choice. {@link #admit} checks and admits the first piece of model work, {@link #run} runs. */
    final class PromptRun implements AutoCloseable {
        private final int index;
        private final Prompt prompt;
        /** The prompt's token ids, when its logprobs are asked for. */
        private long[] ids;

        private Scoring scoring;
        private Generation generation;

        PromptRun(int index, Prompt prompt) {
            this.index = index;
            this.prompt = prompt;
        }

        /** Tokenizes and admits the first piece of model work, so its errors come before any output. */
        void admit() {
            if (req.scoresPrompt()) {
                ids = prompt.isText()
                        ? engine.tokenize(model, prompt.text(), true).ids()
                        : prompt.ids();
                promptTokens += ids.length;
                if (req.maxTokens() > 0) {
                    InferenceEngine.checkContext(loaded, ids.length, req.maxTokens());
                }
                if (ids.length >= 2) {
                    scoring = engine.prepareScore(
                            model, Prompt.ids(ids), ScoreOptions.onePass().withTopLogprobs(req.logprobs()));
                    return;
                }
                engine.countTokens(model, Prompt.ids(ids)); // one token: nothing to score, but check it
            }
            if (req.maxTokens() > 0) {
                generation = engine.prepareGeneration(model, ids != null ? Prompt.ids(ids) : prompt, req.sampling());
                if (ids == null) {
                    promptTokens += generation.promptTokens();
                }
            } else if (ids == null) {
                promptTokens += engine.countTokens(model, prompt).tokens();
            }
        }

        void run(Sink sink) {
            int offset = 0;
            if (req.echo()) {
                String echo = prompt.isText() ? prompt.text() : decode(prompt.ids());
                sink.text(index, echo, req.scoresPrompt() ? promptLogprobs() : null);
                offset = echo.length();
            }
            String finish = "length";
            if (req.maxTokens() > 0) {
                if (generation == null) { // after the prompt's Score pass
                    generation = engine.prepareGeneration(model, Prompt.ids(ids), req.sampling());
                }
                GenerationResult r = generate(sink, offset);
                completionTokens += r.generatedTokens();
                finish = r.finishReason() == FinishReason.LENGTH ? "length" : "stop";
            }
            sink.finish(index, finish);
        }

        private Logprobs promptLogprobs() {
            int n = ids.length;
            double[] lp = new double[Math.max(0, n - 1)];
            int[][] topIds = req.logprobs() > 0 ? new int[lp.length][] : null;
            double[][] topLp = req.logprobs() > 0 ? new double[lp.length][] : null;
            if (scoring != null) {
                Scoring s = scoring;
                scoring = null;
                onWorker(s, x -> {
                    metrics.admitted("score", model, x.tokens());
                    if (x.run(chunk -> copy(chunk, lp, topIds, topLp), cancel) == null) {
                        throw new CancellationException("cancelled");
                    }
                });
            }
            Logprobs out = new Logprobs();
            Detokenizer text = new Detokenizer(loaded.tokenizer());
            int offset = 0;
            for (int i = 0; i < n; i++) {
                int at = offset;
                offset += text.push(ids[i]).length();
                String token = names.text(ids[i]);
                if (i == 0) {
                    out.add(token, null, 0, null, null, names, at);
                } else {
                    out.add(
                            token,
                            lp[i - 1],
                            (int) ids[i],
                            topIds == null ? null : topIds[i - 1],
                            topLp == null ? null : topLp[i - 1],
                            names,
                            at);
                }
            }
            return out;
        }

        private static void copy(ScoreChunk c, double[] lp, int[][] topIds, double[][] topLp) {
            System.arraycopy(c.logprobs(), 0, lp, c.firstTarget(), c.size());
            if (topIds != null) {
                System.arraycopy(c.topIds(), 0, topIds, c.firstTarget(), c.size());
                System.arraycopy(c.topLogprobs(), 0, topLp, c.firstTarget(), c.size());
            }
        }

        private GenerationResult generate(Sink sink, int startOffset) {
            GenerationResult[] result = new GenerationResult[1];
            Generation g = generation;
            generation = null;
            onWorker(g, x -> {
                metrics.admitted("generate", model, x.promptTokens());
                x.run(
                        new GenerationListener() {
                            private int offset = startOffset;
                            private int[] topIds;
                            private double[] topLp;

                            @Override
                            public int topLogprobs() {
                                return req.logprobs() == null ? 0 : req.logprobs();
                            }

                            @Override
                            public void onTopLogprobs(int[] ids, double[] logprobs) {
                                topIds = ids;
                                topLp = logprobs;
                            }

                            @Override
                            public void onToken(int id, String text, double logprob) {
                                Logprobs part = null;
                                if (req.logprobs() != null) {
                                    part = new Logprobs();
                                    part.add(names.text(id), logprob, id, topIds, topLp, names, offset);
                                }
                                offset += text.length();
                                sink.text(index, text, part);
                            }

                            @Override
                            public void onFinal(GenerationResult r) {
                                metrics.generation(model, r);
                                result[0] = r;
                            }
                        },
                        cancel);
            });
            if (result[0].finishReason() == FinishReason.CANCELLED) {
                throw new CancellationException("cancelled");
            }
            return result[0];
        }

        private String decode(long[] ids) {
            TextTokenizer t = loaded.tokenizer();
            return t == null ? "" : t.decode(ids, true);
        }

        @Override
        public void close() {
            if (scoring != null) {
                scoring.close();
                scoring = null;
            }
            if (generation != null) {
                generation.close();
                generation = null;
            }
        }
    }

    /**
     * Runs admitted work on an engine worker and waits for it, closing it afterwards, checking every 100 ms that the
     * client is still there (HTTP has no cancel message; neither a close handler nor a write to a closed connection
     * reliably tells a blocking endpoint). Cancelled before a worker takes it, it is closed at once and never runs.
     */
    private <P extends AutoCloseable> void onWorker(P prepared, Consumer<P> work) {
        AtomicBoolean claimed = new AtomicBoolean();
        FutureTask<Void> task = new FutureTask<>(() -> {
            if (claimed.compareAndSet(false, true)) {
                try {
                    work.accept(prepared);
                } finally {
                    close(prepared);
                }
            }
            return null;
        });
        Runnable release = () -> {
            if (claimed.compareAndSet(false, true)) {
                close(prepared);
                task.cancel(false);
            }
        };
        onCancel.add(release);
        try {
            if (cancel.isCancelled()) {
                release.run();
                throw new CancellationException("cancelled");
            }
            try {
                runtime.workers().execute(task);
            } catch (RejectedExecutionException e) {
                release.run();
                throw new OpenAiError(
                        503, "service_unavailable", "the server is shutting down", null, null, "UNAVAILABLE");
            }
            while (true) {
                try {
                    task.get(CLIENT_POLL_MS, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    if (clientGone.getAsBoolean()) {
                        cancel();
                    }
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new CancellationException("interrupted");
        } finally {
            onCancel.remove(release);
        }
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
