package ai.posemesh.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job on embedded defaults, as far as the mesh exists today: make a tiny extended checkpoint, describe it and
 * score a document with it, in one pass and with sliding windows. Later releases extend it with training (trainer →
 * Kafka → eval) without changing how it is started.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Run the local pipeline end to end on embedded defaults (local files under --dir):",
            "  1. init-model: a tiny random LLaMA with Linear PI x4 (base 256 -> target 1024) as an HF directory",
            "  2. info: what the checkpoint declares",
            "  3. score: exact perplexity of a text file, one pass and with sliding windows (W=256, S=128)",
            "A random model's perplexity is near the vocabulary size (259); `pose train` or models/tiny-base give "
                    + "trained weights."
        })
final class DemoCommand implements Callable<Integer> {

    @Option(
            names = "--dir",
            defaultValue = ".pose/demo",
            description = "Working directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--text-file",
            defaultValue = "README.md",
            description = "Text to score (default: ${DEFAULT-VALUE}).")
    Path text;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path model = dir.resolve("tiny-linear-x4");
        CommandLine root = spec.root().commandLine();
        var out = spec.commandLine().getOut();
        if (!Files.isDirectory(model)) {
            out.println("== init-model " + model);
            check(root.execute(
                    "init-model",
                    "--out",
                    model.toString(),
                    "--layers",
                    "2",
                    "--hidden",
                    "128",
                    "--heads",
                    "4",
                    "--max-pos",
                    "1024",
                    "--rope-type",
                    "linear",
                    "--rope-factor",
                    "4",
                    "--seed",
                    "0"));
        }
        out.println("== info");
        check(root.execute("info", "--model", model.toString()));
        out.println("== score " + text + " (one pass; JSON saved to " + dir.resolve("score.json") + ")");
        Path scoreJson = dir.resolve("score.json");
        check(captureTo(root, scoreJson, "score", "--model", model.toString(), "--text-file", text.toString()));
        out.println(summary(scoreJson));
        out.println("== score " + text + " (sliding windows W=256 S=128)");
        Path slidingJson = dir.resolve("score-sliding.json");
        check(captureTo(
                root,
                slidingJson,
                "score",
                "--model",
                model.toString(),
                "--text-file",
                text.toString(),
                "--window",
                "256",
                "--stride",
                "128"));
        out.println(summary(slidingJson));
        return 0;
    }

    private static void check(int code) {
        if (code != 0) {
            throw new PoseCommand.CliException("demo step failed (exit " + code + ")");
        }
    }

    /** Runs a command with its standard output going to {@code file}. */
    private static int captureTo(CommandLine root, Path file, String... args) throws Exception {
        try (java.io.PrintWriter w = new java.io.PrintWriter(Files.newBufferedWriter(file))) {
            CommandLine cl = PoseCommand.commandLine();
            cl.setOut(w);
            cl.setErr(root.getErr());
            return cl.execute(args);
        }
    }

    private static String summary(Path json) throws Exception {
        var node = ai.posemesh.model.config.ConfigJson.read(json);
        return String.format(
                "tokens %d, scored %d, nll_sum %.2f, ppl %.2f",
                node.get("tokens").asInt(),
                node.get("count").asInt(),
                node.get("nll_sum").asDouble(),
                node.get("ppl").asDouble());
    }
}
