package ai.posemesh.cli;

import ai.djl.ndarray.NDManager;
import ai.posemesh.evaluation.passkey.PasskeyEval;
import ai.posemesh.model.Engines;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint locally.",
        subcommands = {EvalCommand.Passkey.class})
final class EvalCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(
            name = "passkey",
            mixinStandardHelpOptions = true,
            description = {
                "The PoSE paper's passkey retrieval test: a 1-50000 key hidden at a random depth in filler text, "
                        + "greedy 10 new tokens, pass if the first number generated is the key.",
                "Prints one markdown row per length: | length | filler units | trials | accuracy |"
            })
    static final class Passkey implements Callable<Integer> {

        @Option(names = "--model", required = true, description = "HF model directory (with tokenizer.json).")
        Path model;

        @Option(names = "--lengths", required = true, split = ",", description = "Prompt lengths in tokens, e.g. 1024,2048.")
        int[] lengths;

        @Option(names = "--trials", defaultValue = "50", description = "Trials per length (default: ${DEFAULT-VALUE}).")
        int trials;

        @Option(names = "--seed", defaultValue = "0", description = "Seed for keys and depths (default: ${DEFAULT-VALUE}).")
        long seed;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            try (NDManager m = Engines.newManager();
                    Llama llama = HfCheckpoint.load(model, m);
                    TextTokenizer tok = TextTokenizer.load(model)) {
                PasskeyEval eval = new PasskeyEval(llama, tok);
                out.println("| length | filler units | trials | accuracy |");
                out.println("|---|---|---|---|");
                for (int l : lengths) {
                    if (eval.fillerUnits(l) < 0) {
                        throw new PoseCommand.CliException("--lengths: " + l + " tokens cannot hold the passkey prompt");
                    }
                    PasskeyEval.LengthResult r = eval.run(l, trials, seed, null);
                    out.printf("| %d | %d | %d | %.2f |%n", l, r.fillerUnits(), r.trials(), r.accuracy());
                    out.flush();
                }
            }
            return 0;
        }
    }
}
