package ai.posemesh.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.llama.Attention;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "bench-forward",
        mixinStandardHelpOptions = true,
        description = {
            "Time one forward pass of a random byte-level LLaMA over N tokens and report the process's peak RSS "
                    + "(VmHWM). Run one length per process so the peak belongs to that length. For prefill and "
                    + "decode through the inference engine, see bench-generate.",
            "Prints one markdown table row: | tokens | attention | forward s (best of --repeat) | tokens/s | peak RSS MB |"
        })
final class BenchCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private java.io.PrintWriter out() {
        return spec.commandLine().getOut();
    }

    @Option(names = "--tokens", defaultValue = "16384", description = "Sequence length (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--layers", defaultValue = "4")
    int layers;

    @Option(names = "--hidden", defaultValue = "256")
    int hidden;

    @Option(names = "--heads", defaultValue = "8")
    int heads;

    @Option(names = "--attention", defaultValue = "fused", description = "fused (SDPA) or plain.")
    String attention;

    @Option(names = "--repeat", defaultValue = "2", description = "Timed runs; the best is reported.")
    int repeat;

    @Override
    public Integer call() {
        LlamaConfig config = new LlamaConfig(
                ByteLevelTokenizer.VOCAB_SIZE,
                hidden,
                LlamaConfig.defaultIntermediateSize(hidden),
                layers,
                heads,
                heads,
                hidden / heads,
                tokens,
                1e-6,
                false,
                false,
                false,
                ByteLevelTokenizer.BOS,
                new int[] {ByteLevelTokenizer.EOS},
                ByteLevelTokenizer.PAD,
                "float32",
                RopeParameters.of("default", 10000.0, Map.of()));
        long[] ids = new long[tokens];
        long[] pos = new long[tokens];
        Random r = new Random(0);
        for (int i = 0; i < tokens; i++) {
            ids[i] = r.nextInt(256);
            pos[i] = i;
        }
        double best = Double.MAX_VALUE;
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(config, 0, m.newSubManager())) {
            model.useAttention(attention.equals("plain") ? Attention.plain() : Attention.fused());
            for (int i = 0; i < repeat; i++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray x = step.create(ids, new Shape(1, tokens));
                    NDArray p = step.create(pos, new Shape(1, tokens));
                    long t0 = System.nanoTime();
                    NDArray h = model.forward(x, p, null, tokens);
                    h.get(0, tokens - 1, 0).getFloat(); // force completion
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        out().printf("| %d | %s | %.2f | %.0f | %d |%n", tokens, attention, best, tokens / best, peakRssMb());
        return 0;
    }

    /** The process's peak resident set (VmHWM) in MiB: JVM heap, libtorch and everything else, as the OS sees it. */
    static long peakRssMb() {
        return ai.posemesh.train.loop.Trainer.peakRssBytes() >> 20;
    }
}
