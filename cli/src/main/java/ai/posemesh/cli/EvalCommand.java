package ai.posemesh.cli;

import ai.djl.ndarray.NDManager;
import ai.posemesh.evaluation.Progress;
import ai.posemesh.evaluation.passkey.PasskeyEval;
import ai.posemesh.evaluation.passkey.Trial;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
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
                "Prints one markdown row per length: | length | filler units | trials | passed | accuracy |"
            })
    static final class Passkey implements Callable<Integer> {

        @Option(names = "--model", required = true, description = "HF model directory (with tokenizer.json).")
        Path model;

        @Option(
                names = "--lengths",
                required = true,
                split = ",",
                description = "Prompt lengths in tokens, e.g. 1024,2048.")
        int[] lengths;

        @Option(names = "--trials", defaultValue = "50", description = "Trials per length (default: ${DEFAULT-VALUE}).")
        int trials;

        @Option(
                names = "--seed",
                defaultValue = "0",
                description = "Seed for keys and depths (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(
                names = "--trials-out",
                paramLabel = "FILE",
                description = "Also write every trial as a JSON line: length, key, depth (filler units before the "
                        + "key), filler units, the generated text, passed.")
        Path trialsOut;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            var out = spec.commandLine().getOut();
            try (NDManager m = Engines.newManager();
                    Llama llama = HfCheckpoint.load(model, m);
                    TextTokenizer tok = TextTokenizer.load(model)) {
                PasskeyEval eval = new PasskeyEval(llama, tok);
                for (int l : lengths) { // every length is checked before the first trial runs
                    if (eval.fillerUnits(eval.promptBudget(l)) < 0) {
                        throw new PoseCommand.CliException(
                                "--lengths: " + l + " tokens cannot hold the passkey prompt");
                    }
                }
                if (trialsOut != null) {
                    write(""); // starts the file empty, and fails now rather than after the trials
                }
                out.println("| length | filler units | trials | passed | accuracy |");
                out.println("|---|---|---|---|---|");
                List<Trial> log = new ArrayList<>();
                for (int l : lengths) {
                    PasskeyEval.LengthResult r = eval.run(l, trials, seed, log::add, Progress.NONE);
                    out.printf(
                            "| %d | %d | %d | %d | %.2f |%n", l, r.fillerUnits(), r.trials(), r.passed(), r.accuracy());
                    out.flush();
                    if (trialsOut != null) {
                        write(trialLines(log, r.fillerUnits()), StandardOpenOption.APPEND);
                    }
                    log.clear();
                }
            }
            return 0;
        }

        /** One length's trials as JSON lines. */
        private static String trialLines(List<Trial> log, int fillerUnits) throws IOException {
            StringBuilder lines = new StringBuilder();
            for (Trial t : log) {
                lines.append(ConfigJson.ONE_LINE.writeValueAsString(t.toJson())).append('\n');
            }
            return lines.toString();
        }

        private void write(String text, StandardOpenOption... options) {
            try {
                Files.writeString(trialsOut, text, options);
            } catch (IOException e) {
                throw new PoseCommand.CliException("--trials-out: cannot write " + trialsOut + ": " + e);
            }
        }
    }
}
