package ai.posemesh.cli;

import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.InferenceEngine;
import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.Prompt;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.generate.FinishReason;
import ai.posemesh.serve.generate.Generation;
import ai.posemesh.serve.generate.GenerationListener;
import ai.posemesh.serve.generate.GenerationResult;
import ai.posemesh.serve.generate.SamplingParams;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One generation through the engine inference-service runs ({@link InferenceEngine}, {@link Generation}: chunked
 * prefill over a KV cache preallocated for prompt + new tokens, then greedy decode), with the timings its Final
 * message reports and the process's peak RSS. One prompt length per process, so the peak belongs to that length.
 */
@Command(
        name = "bench-generate",
        mixinStandardHelpOptions = true,
        description = {
            "Generate --new-tokens tokens after a random byte prompt of --prompt-tokens tokens through the inference "
                    + "engine (chunked prefill over a KV cache, greedy decode, EOS ignored), as inference-service "
                    + "does, and report its timings and the process's peak RSS (VmHWM). Run one length per process "
                    + "so the peak belongs to that length (tools/bench_generate.sh).",
            "Prints one markdown table row: | prompt tokens | prefill s | prefill tok/s | time to first token s | "
                    + "decode tok/s | KV cache MB | peak RSS MB |; with --json one object: {\"prompt_tokens\", "
                    + "\"new_tokens\", \"prefill_s\", \"prefill_tok_per_s\", \"ttft_s\", \"decode_tok_per_s\", "
                    + "\"kv_cache_mb\", \"peak_rss_mb\"}."
        })
final class BenchGenerateCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "HF model directory (e.g. from init-model).")
    Path model;

    @Option(
            names = "--prompt-tokens",
            defaultValue = "4096",
            description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "64", description = "Tokens to decode (default: ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(
            names = "--prefill-chunk",
            defaultValue = "512",
            description = "Tokens per prefill chunk (default: ${DEFAULT-VALUE}, inference-service's default).")
    int prefillChunk;

    @Option(
            names = "--warmup-tokens",
            defaultValue = "1024",
            description =
                    "Prompt tokens of an untimed generation (4 new tokens) run first, so one-time costs "
                            + "(libtorch kernels, the SDPA module, JIT) stay out of the row; 0 = none (default: ${DEFAULT-VALUE}).")
    int warmupTokens;

    @Option(names = "--json", description = "Print one JSON object instead of the table row.")
    boolean json;

    @Option(
            names = "--seed",
            defaultValue = "0",
            description = "Seed of the random prompt (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 1 || newTokens < 1 || prefillChunk < 1 || warmupTokens < 0) {
            throw new PoseCommand.CliException(
                    "--prompt-tokens, --new-tokens and --prefill-chunk must be >= 1, " + "--warmup-tokens >= 0");
        }
        try (ModelRegistry registry = new ModelRegistry()) {
            LoadedModel m = registry.load("bench", model.toString(), "");
            if (promptTokens + (long) newTokens > m.maxContext()) {
                throw new PoseCommand.CliException(model + ": max_position_embeddings " + m.maxContext() + " < "
                        + promptTokens + " prompt + " + newTokens + " new tokens; make the model with a larger "
                        + "--max-pos");
            }
            InferenceEngine engine = new InferenceEngine(
                    registry,
                    new TokenBudget(Math.max(promptTokens + (long) newTokens, warmupTokens + 4L)),
                    prefillChunk);
            if (warmupTokens > 0) {
                run(engine, m, Math.min(warmupTokens, m.maxContext() - 4), 4);
            }
            GenerationResult r = run(engine, m, promptTokens, newTokens);
            var c = m.config();
            long kvBytes = 2L * c.numLayers() * c.numKvHeads() * c.headDim() * 4 * (promptTokens + (long) newTokens);
            if (json) {
                var o = ai.posemesh.model.config.ConfigJson.MAPPER.createObjectNode();
                o.put("prompt_tokens", promptTokens);
                o.put("new_tokens", newTokens);
                o.put("prefill_s", promptTokens / r.prefillTokensPerSecond());
                o.put("prefill_tok_per_s", r.prefillTokensPerSecond());
                o.put("ttft_s", r.timeToFirstTokenMs() / 1000);
                o.put("decode_tok_per_s", r.decodeTokensPerSecond());
                o.put("kv_cache_mb", kvBytes / 1048576.0);
                o.put("peak_rss_mb", BenchCommand.peakRssMb());
                spec.commandLine().getOut().println(o.toString());
                return 0;
            }
            spec.commandLine()
                    .getOut()
                    .printf(
                            Locale.ROOT,
                            "| %d | %.2f | %.0f | %.2f | %.1f | %.1f | %d |%n",
                            promptTokens,
                            promptTokens / r.prefillTokensPerSecond(),
                            r.prefillTokensPerSecond(),
                            r.timeToFirstTokenMs() / 1000,
                            r.decodeTokensPerSecond(),
                            kvBytes / 1048576.0,
                            BenchCommand.peakRssMb());
            return 0;
        } catch (InferenceException e) {
            throw new PoseCommand.CliException(e.getMessage());
        }
    }

    /** One greedy generation of {@code newTokens} after a random prompt (BOS first, if any), EOS ignored. */
    private GenerationResult run(InferenceEngine engine, LoadedModel m, int prompt, int newTokens) {
        long[] ids = new long[prompt];
        Random r = new Random(seed);
        int range = Math.min(256, m.vocabSize()); // bytes, for the byte-level tokenizer
        for (int i = 0; i < prompt; i++) {
            ids[i] = r.nextInt(range);
        }
        if (m.config().bosTokenId() != null) {
            ids[0] = m.config().bosTokenId();
        }
        GenerationResult[] result = new GenerationResult[1];
        try (Generation g = engine.prepareGeneration(
                "bench", Prompt.ids(ids), SamplingParams.greedy(newTokens).withIgnoreEos(true))) {
            g.run(
                    new GenerationListener() {
                        @Override
                        public void onToken(int id, String text, double logprob) {}

                        @Override
                        public void onFinal(GenerationResult res) {
                            result[0] = res;
                        }
                    },
                    new Cancellation());
        }
        GenerationResult res = result[0];
        if (res == null || res.finishReason() != FinishReason.LENGTH || res.generatedTokens() != newTokens) {
            throw new IllegalStateException("the generation did not run to its length: " + res);
        }
        return res;
    }
}
