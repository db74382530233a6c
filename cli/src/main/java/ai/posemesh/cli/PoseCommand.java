package ai.posemesh.cli;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./pose}: the user's front door. Local commands call the libraries directly. */
@Command(
        name = "pose",
        mixinStandardHelpOptions = true,
        versionProvider = PoseCommand.Version.class,
        description = "posemesh: extend the context window of RoPE language models with PoSE, serve and evaluate them.",
        subcommands = {
            DemoCommand.class,
            UpCommand.class,
            DownCommand.class,
            StatusCommand.class,
            InitModelCommand.class,
            TrainCommand.class,
            EvalCommand.class,
            ScoreCommand.class,
            ServeCommand.class,
            GenerateCommand.class,
            InfoCommand.class,
            BenchCommand.class,
            BenchGenerateCommand.class,
            DataCommand.class,
            CommandLine.HelpCommand.class
        })
public final class PoseCommand implements Runnable {

    /** Exit code for bad input (a file, a field, an id): the message names it. */
    static final int EXIT_BAD_INPUT = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        Engines.offline();
        CommandLine cl = commandLine();
        // generated text and file names go out as UTF-8 whatever the locale says (Java 17 follows the locale)
        cl.setOut(new PrintWriter(
                new java.io.OutputStreamWriter(System.out, java.nio.charset.StandardCharsets.UTF_8), true));
        System.exit(cl.execute(args));
    }

    /**
     * Runs one command line as {@code ./pose} would, writing to {@code out} and {@code err} instead of the
     * console, and returns the exit status instead of exiting: for embedding the CLI and for tests in other modules.
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        Engines.offline();
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PoseCommand());
        cl.setExecutionExceptionHandler(PoseCommand::handle);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    /** Known failures print one line naming the file/field and exit non-zero; no stack trace for bad input. */
    private static int handle(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (e instanceof CheckpointException || e instanceof CliException) {
            err.println("pose " + cl.getCommandName() + ": error: " + e.getMessage());
            return e instanceof CliException c ? c.exitCode : EXIT_BAD_INPUT;
        }
        if (e instanceof ai.posemesh.cli.mesh.MeshException m) {
            err.println("pose " + cl.getCommandName() + ": error: " + m.getMessage());
            return m.exitCode();
        }
        if (e instanceof java.io.IOException) {
            err.println("pose " + cl.getCommandName() + ": I/O error: " + e.getMessage());
            return 1;
        }
        err.println("pose " + cl.getCommandName() + ": internal error: " + e);
        e.printStackTrace(err);
        return 1;
    }

    /**
     * A user-facing error raised by a command: one line, no stack trace. Exit status 2 (bad option combination,
     * unreadable input file) unless the command says otherwise (1 for a service that cannot be reached, a failed job).
     */
    static final class CliException extends RuntimeException {
        final int exitCode;

        CliException(String message) {
            this(message, EXIT_BAD_INPUT);
        }

        CliException(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PoseCommand.class.getPackage().getImplementationVersion();
            return new String[] {"posemesh " + (v == null ? "dev" : v)};
        }
    }
}
