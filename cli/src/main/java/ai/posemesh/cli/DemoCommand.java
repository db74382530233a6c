package ai.posemesh.cli;

import ai.posemesh.cli.mesh.MeshControl;
import ai.posemesh.cli.mesh.MeshState;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.proto.eval.v1.EvalGrpc;
import ai.posemesh.proto.eval.v1.ListReportsRequest;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.JobState;
import ai.posemesh.proto.trainer.v1.JobUpdate;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.proto.trainer.v1.StepProgress;
import ai.posemesh.proto.trainer.v1.SubmitJobRequest;
import ai.posemesh.proto.trainer.v1.TrainerGrpc;
import ai.posemesh.proto.trainer.v1.WatchJobRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The main job on embedded defaults: PoSE extends the committed tiny base end to end through the mesh. Corpora →
 * {@code pose up --detach} → SubmitJob per RoPE scaling on the trainer → CheckpointPublished → eval-service →
 * inference-service → EvalCompleted; then the table of base and checkpoints, and a summary page.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Show PoSE extending a model, end to end on this machine:",
            "  1. fetch the corpora it needs (general to train, books to evaluate; Debian packages, once)",
            "  2. start the mesh in the background (`pose up --detach`; an already running one in --dir is used)",
            "  3. submit one PoSE job per --rope on models/tiny-base (window 256) to the trainer's gRPC API: "
                    + "--factor x the window (default 8x: 2048 tokens), --steps steps each",
            "  4. the events do the rest: each final checkpoint goes to eval-service, which evaluates it and the "
                    + "base (perplexity on held-out books, passkey retrieval) through inference-service",
            "  5. print the table (the base's perplexity past its window explodes, the PoSE checkpoints' does "
                    + "not) and write a summary page next to eval-service's reports",
            "The mesh is stopped at the end unless --keep (or unless it was running before)."
        })
final class DemoCommand implements Callable<Integer> {

    /** eval-service's suites for the demo: the lengths the table shows. */
    static final String PPL_LENGTHS = "256,512,1024,2048";

    static final String PASSKEY_LENGTHS = "256,512,1024,2048";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    MeshDir meshDir;

    @Option(
            names = "--data-root",
            defaultValue = ".pose/data",
            description = "Where the corpora are fetched to (default: ${DEFAULT-VALUE}).")
    Path dataRoot;

    @Option(
            names = "--rope",
            split = ",",
            defaultValue = "linear,yarn",
            paramLabel = "TYPE",
            description = "RoPE scalings, one PoSE job each (default: ${DEFAULT-VALUE}).")
    List<String> ropes;

    @Option(
            names = "--factor",
            defaultValue = "8",
            description = "Extension factor: target = factor x the base's window (default: ${DEFAULT-VALUE}).")
    int factor;

    @Option(
            names = "--steps",
            defaultValue = "150",
            description = "Optimizer steps per job, batch 8 x 256 tokens (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(
            names = "--passkey-trials",
            defaultValue = "10",
            description = "Passkey trials per length (default: ${DEFAULT-VALUE}).")
    int passkeyTrials;

    @Option(
            names = "--port-offset",
            defaultValue = "0",
            paramLabel = "N",
            description = "Passed to `pose up` when the demo starts the mesh.")
    int portOffset;

    @Option(names = "--keep", description = "Leave the mesh running afterwards (`pose down` stops it).")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CommandLine root = spec.root().commandLine();
        if (steps <= 0 || factor < 2 || passkeyTrials <= 0) {
            throw new PoseCommand.CliException("--steps and --passkey-trials must be > 0 and --factor >= 2");
        }
        Path base = Repository.root().resolve("models/tiny-base");
        int window = LlamaConfig.read(base.resolve("config.json")).maxPositionEmbeddings();
        int target = window * factor;

        heading(out, "1/5 corpora (" + dataRoot + ")");
        for (String family : List.of("general", "books")) {
            check(root.execute("data", "fetch", "--family", family, "--out", dataRoot.toString()), "data fetch");
        }

        heading(out, "2/5 the mesh (" + meshDir.dir + ")");
        boolean started = false;
        Optional<MeshControl.Status> running = MeshControl.status(meshDir.dir);
        if (running.isPresent() && running.get().ready()) {
            out.println("using the mesh already running in " + meshDir.dir);
        } else {
            check(root.execute(upArgs(target).toArray(String[]::new)), "up");
            started = true;
        }
        MeshState mesh = MeshControl.status(meshDir.dir)
                .orElseThrow(() -> new PoseCommand.CliException("no mesh in " + meshDir.dir + " after `pose up`", 1))
                .state();
        Thread stop = started && !keep ? stopOnExit(err) : null;
        try {
            String trainer = endpoint(mesh, "trainer", "grpc");
            String eval = endpoint(mesh, "eval", "grpc");

            heading(
                    out,
                    "3/5 training: PoSE on " + base.getFileName() + ", " + window + " -> " + target + " tokens ("
                            + factor + "x), " + steps + " steps each, on the trainer at " + trainer);
            List<Job> jobs = submit(trainer, base, window, target, out);
            for (Job j : jobs) {
                follow(trainer, j, err);
            }

            heading(out, "4/5 evaluation: eval-service evaluates every checkpoint and the base through inference");
            Map<Job, EvalCompleted> results =
                    awaitEvaluations(eval, jobs, Path.of(mesh.dir()).resolve("logs"), err);

            heading(out, "5/5 results");
            DemoReport report = new DemoReport(window, target, results);
            report.printTable(out);
            String reportsUrl = mesh.services().stream()
                    .filter(s -> s.name().equals("eval"))
                    .findFirst()
                    .map(s -> s.endpoints().get("reports"))
                    .orElse("");
            Path page = report.writePage(Path.of(mesh.dir()).resolve("reports"), reportsUrl);
            boolean served = !started || keep;
            out.printf("%nreport: %s%n", page);
            out.printf(
                    "  %s %s%s (every evaluation: %sindex.html); each checkpoint's own report:%n",
                    served ? "served at" : "served while the mesh runs (./pose demo --keep) at",
                    reportsUrl,
                    DemoReport.PAGE,
                    reportsUrl);
            for (EvalCompleted e : results.values()) {
                out.printf(
                        "  %s: %s (%s)%n",
                        e.getModel().getCheckpointId(),
                        page.getParent().resolve(e.getEvaluationId()).resolve("index.html"),
                        reportsUrl.replaceAll("/reports/$", "") + e.getReportUrl());
            }
        } finally {
            if (stop != null) {
                Runtime.getRuntime().removeShutdownHook(stop);
                stop.run();
            }
        }
        if (!started || keep) {
            out.println("the mesh keeps running (`./pose status" + meshDir.flag() + "`; `./pose down" + meshDir.flag()
                    + "` stops it):");
            MeshControl.printEndpoints(mesh, out);
        }
        out.printf("demo done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        out.flush();
        return 0;
    }

    private List<String> upArgs(int target) {
        List<String> up = new ArrayList<>(List.of(
                "up",
                "--detach",
                "--dir",
                meshDir.dir.toString(),
                "--data-root",
                dataRoot.toString(),
                "--port-offset",
                Integer.toString(portOffset)));
        Map<String, String> suite = new LinkedHashMap<>();
        suite.put("posemesh.eval.suite.perplexity.lengths", lengths(PPL_LENGTHS, target));
        suite.put("posemesh.eval.suite.passkey.lengths", lengths(PASSKEY_LENGTHS, target));
        suite.put("posemesh.eval.suite.passkey.trials", Integer.toString(passkeyTrials));
        suite.forEach((k, v) -> {
            up.add("--property");
            up.add("eval:" + k + "=" + v);
        });
        return up;
    }

    /** The demo's lengths up to the target, the target included. */
    static String lengths(String defaults, int target) {
        List<String> l = new ArrayList<>();
        for (String s : defaults.split(",")) {
            if (Integer.parseInt(s) < target) {
                l.add(s);
            }
        }
        l.add(Integer.toString(target));
        return String.join(",", l);
    }

    /** A submitted job and what the table calls it. */
    record Job(String id, String rope, String label) {}

    private List<Job> submit(String trainer, Path base, int window, int target, PrintWriter out) {
        ManagedChannel ch = Grpc.channel(trainer);
        try {
            List<Job> jobs = new ArrayList<>();
            for (String rope : ropes) {
                JobSpec s = JobSpec.newBuilder()
                        .setBase(base.toString())
                        .setMethod(Method.METHOD_POSE)
                        .setRope(rope)
                        .setTrainLen(window)
                        .setTargetLen(target)
                        .setSteps(steps)
                        .setLr(5e-4)
                        .setWarmupSteps(10)
                        .setBatchSize(8)
                        .setMicroBatch(8)
                        .setData("general")
                        .setCheckpointEvery(0)
                        .setRetrievalFraction(0.5)
                        .build();
                String id;
                try {
                    id = TrainerGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(60, TimeUnit.SECONDS)
                            .submitJob(SubmitJobRequest.newBuilder().setSpec(s).build())
                            .getJobId();
                } catch (StatusRuntimeException e) {
                    throw Grpc.error(e, "trainer-service", trainer, false);
                }
                Job j = new Job(id, rope, "PoSE + " + rope + " x" + factor);
                out.printf("submitted %s: %s (%d -> %d tokens)%n", id, j.label(), window, target);
                jobs.add(j);
            }
            out.flush();
            return jobs;
        } finally {
            Grpc.close(ch);
        }
    }

    /** WatchJob until the job ends, as one progress line; a job that does not succeed ends the demo (exit 1). */
    private static void follow(String trainer, Job job, PrintWriter err) {
        ManagedChannel ch = Grpc.channel(trainer);
        StatusLine line = new StatusLine(err);
        JobState state = JobState.JOB_STATE_UNSPECIFIED;
        String reason = "";
        try {
            Iterator<JobUpdate> updates = TrainerGrpc.newBlockingStub(ch)
                    .watchJob(WatchJobRequest.newBuilder().setJobId(job.id()).build());
            while (updates.hasNext()) {
                JobUpdate u = updates.next();
                switch (u.getUpdateCase()) {
                    case PROGRESS -> {
                        StepProgress p = u.getProgress();
                        boolean last = p.getStep() == p.getTotalSteps();
                        if (p.getTokensPerSecond() > 0 && line.due(last)) { // the first snapshot has no step yet
                            line.show(
                                    String.format(
                                            "train %-7s %s %d/%d  loss %.3f  %,.0f tok/s  ETA %.0f s",
                                            job.rope(),
                                            StatusLine.bar((double) p.getStep() / Math.max(1, p.getTotalSteps())),
                                            p.getStep(),
                                            p.getTotalSteps(),
                                            p.getLoss(),
                                            p.getTokensPerSecond(),
                                            p.getEtaSeconds()),
                                    last);
                        }
                    }
                    case CHECKPOINT -> {
                        CheckpointRef c = u.getCheckpoint();
                        line.breakLine();
                        err.printf(
                                "  checkpoint %s published (step %d, loss %.3f): eval-service takes it from here%n",
                                c.getCheckpointId(), c.getStep(), c.getTrainLoss());
                        err.flush();
                    }
                    case STATE -> {
                        state = u.getState().getState();
                        reason = u.getState().getReason();
                        if (state == JobState.JOB_STATE_QUEUED) {
                            err.printf("train %-7s queued (the trainer runs one job at a time)%n", job.rope());
                            err.flush();
                        }
                    }
                    case UPDATE_NOT_SET -> {}
                }
            }
        } catch (StatusRuntimeException e) {
            line.breakLine();
            throw Grpc.error(e, "trainer-service", trainer, false);
        } finally {
            Grpc.close(ch);
        }
        line.breakLine();
        if (state != JobState.JOB_STATE_SUCCEEDED) {
            throw new PoseCommand.CliException(
                    "job " + job.id() + " " + RemoteTrain.name(state) + (reason.isEmpty() ? "" : ": " + reason), 1);
        }
    }

    /** How long the evaluations may take after the last job ended (they take well under a minute each here). */
    static final Duration EVAL_TIMEOUT = Duration.ofMinutes(20);

    /**
     * Polls ListReports until every job's final checkpoint has its EvalCompleted; none within {@link #EVAL_TIMEOUT}
     * (a checkpoint eval-service dead-lettered, a service down) ends the demo with exit 1 naming the logs.
     */
    private static Map<Job, EvalCompleted> awaitEvaluations(String eval, List<Job> jobs, Path logs, PrintWriter err)
            throws InterruptedException {
        ManagedChannel ch = Grpc.channel(eval);
        StatusLine line = new StatusLine(err);
        long t0 = System.nanoTime();
        Map<Job, EvalCompleted> done = new LinkedHashMap<>();
        try {
            while (done.size() < jobs.size()) {
                for (Job j : jobs) {
                    if (done.containsKey(j)) {
                        continue;
                    }
                    List<EvalCompleted> results;
                    try {
                        results = EvalGrpc.newBlockingStub(ch)
                                .withDeadlineAfter(30, TimeUnit.SECONDS)
                                .listReports(ListReportsRequest.newBuilder()
                                        .setJobId(j.id())
                                        .build())
                                .getResultsList();
                    } catch (StatusRuntimeException e) {
                        throw Grpc.error(e, "eval-service", eval, false);
                    }
                    results.stream()
                            .filter(e -> e.getModel().getLast())
                            .findFirst()
                            .ifPresent(e -> {
                                done.put(j, e);
                                line.breakLine();
                                err.printf(
                                        "  evaluated %s (%s) in %.0f s%n",
                                        e.getModel().getCheckpointId(),
                                        j.label(),
                                        (e.getTimings().getFinishedAtMs()
                                                        - e.getTimings().getStartedAtMs())
                                                / 1e3);
                                err.flush();
                            });
                }
                if (line.due(done.size() == jobs.size())) {
                    line.show(
                            String.format(
                                    "eval  %s %d/%d checkpoints evaluated  (%.0f s)",
                                    StatusLine.bar((double) done.size() / jobs.size()),
                                    done.size(),
                                    jobs.size(),
                                    (System.nanoTime() - t0) / 1e9),
                            done.size() == jobs.size());
                }
                if (done.size() < jobs.size()) {
                    if (System.nanoTime() - t0 > EVAL_TIMEOUT.toNanos()) {
                        line.breakLine();
                        throw new PoseCommand.CliException(
                                "eval-service reported " + done.size() + " of " + jobs.size() + " evaluations within "
                                        + EVAL_TIMEOUT.toMinutes() + " min; see " + logs.resolve("eval.log") + " and "
                                        + logs.resolve("inference.log") + " (a checkpoint it cannot evaluate goes to "
                                        + "posemesh.checkpoints.dlq.v1)",
                                1);
                    }
                    Thread.sleep(1000);
                }
            }
        } finally {
            Grpc.close(ch);
        }
        return done;
    }

    private Thread stopOnExit(PrintWriter err) {
        Thread t = new Thread(
                () -> {
                    try {
                        for (String s : MeshControl.down(meshDir.dir, Duration.ofSeconds(120))) {
                            err.println(s);
                        }
                        err.flush();
                    } catch (Exception e) {
                        err.println("pose demo: could not stop the mesh: " + e.getMessage() + "; run ./pose down");
                        err.flush();
                    }
                },
                "pose-demo-down");
        Runtime.getRuntime().addShutdownHook(t);
        return t;
    }

    private static String endpoint(MeshState mesh, String service, String kind) {
        return mesh.services().stream()
                .filter(s -> s.name().equals(service))
                .findFirst()
                .map(s -> s.endpoints().get(kind))
                .orElseThrow(() -> new PoseCommand.CliException("the mesh has no " + service + " " + kind, 1));
    }

    private static void heading(PrintWriter out, String what) {
        out.println();
        out.println("== " + what);
        out.flush();
    }

    private static void check(int code, String step) {
        if (code != 0) {
            throw new PoseCommand.CliException("demo: `pose " + step + "` failed (exit " + code + ")", code);
        }
    }
}
