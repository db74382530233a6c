package ai.posemesh.evaluation.report;

import ai.posemesh.evaluation.report.LineChart.Point;
import ai.posemesh.evaluation.report.LineChart.Series;
import ai.posemesh.evaluation.report.ReportData.Evaluation;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The four charts of a report, from the evaluations of one job (its base first). */
public final class Charts {

    private Charts() {}

    /** PPL vs context length: the base and each checkpoint of the job as its own series, by step. */
    public static String pplVsLength(Evaluation base, List<Evaluation> checkpoints) {
        List<Series> series = new ArrayList<>();
        if (base != null && !base.ppl().isEmpty()) {
            series.add(pplSeries(base));
        }
        for (Evaluation e : byStep(checkpoints)) {
            series.add(pplSeries(e));
        }
        return LineChart.render("Perplexity vs context length", "context length (tokens)", "perplexity", true, series);
    }

    /** Passkey accuracy vs prompt length, same series as {@link #pplVsLength}. */
    public static String passkeyVsLength(Evaluation base, List<Evaluation> checkpoints) {
        List<Series> series = new ArrayList<>();
        if (base != null && !base.passkey().isEmpty()) {
            series.add(passkeySeries(base));
        }
        for (Evaluation e : byStep(checkpoints)) {
            series.add(passkeySeries(e));
        }
        return LineChart.render(
                "Passkey accuracy vs prompt length", "prompt length (tokens)", "accuracy", true, series, 0, 1);
    }

    /** PPL at the target length vs training step across the job's checkpoints (the base drawn as step 0). */
    public static String pplVsStep(Evaluation base, List<Evaluation> checkpoints) {
        List<Evaluation> sorted = byStep(checkpoints);
        int length = sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1).targetPplLength();
        List<Point> pts = new ArrayList<>();
        for (Evaluation e : sorted) {
            pts.add(new Point(e.step(), pplAt(e, length)));
        }
        List<Series> series = new ArrayList<>();
        if (base != null) {
            series.add(new Series(base.label(), List.of(new Point(0, pplAt(base, length)))));
        }
        series.add(new Series("checkpoints", pts));
        return LineChart.render(
                "Perplexity at " + (length > 0 ? length + " tokens" : "the target length") + " vs training step",
                "training step",
                "perplexity",
                false,
                series);
    }

    private static double pplAt(Evaluation e, int length) {
        return e.ppl().stream()
                .filter(p -> p.length() == length)
                .mapToDouble(ReportData.Ppl::ppl)
                .findFirst()
                .orElse(Double.NaN);
    }

    private static Series pplSeries(Evaluation e) {
        return new Series(
                e.label(),
                e.ppl().stream()
                        .sorted(Comparator.comparingInt(ReportData.Ppl::length))
                        .map(p -> new Point(p.length(), p.ppl()))
                        .toList());
    }

    private static Series passkeySeries(Evaluation e) {
        return new Series(
                e.label(),
                e.passkey().stream()
                        .sorted(Comparator.comparingInt(ReportData.Passkey::length))
                        .map(p -> new Point(p.length(), p.accuracy()))
                        .toList());
    }

    static List<Evaluation> byStep(List<Evaluation> evaluations) {
        return evaluations.stream()
                .sorted(Comparator.comparingInt(Evaluation::step).thenComparing(Evaluation::id))
                .toList();
    }
}
