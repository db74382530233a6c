package ai.posemesh.evaluation.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A line chart as standalone SVG: one {@code <polyline class="series" data-series="label">} per series (a point per
 * value; a dot on each point so one-point series show), axes with ticks, and a legend. The x axis is log2 when asked
 * (context lengths), linear otherwise (steps).
 */
public final class LineChart {

    /** One point. */
    public record Point(double x, double y) {}

    /** One line. */
    public record Series(String label, List<Point> points) {
        public Series {
            points = List.copyOf(points);
        }
    }

    static final int WIDTH = 640;
    static final int HEIGHT = 360;
    private static final int LEFT = 64;
    private static final int RIGHT = 150;
    private static final int TOP = 36;
    private static final int BOTTOM = 48;

    private LineChart() {}

    public static String render(String title, String xLabel, String yLabel, boolean logX, List<Series> series) {
        return render(title, xLabel, yLabel, logX, series, Double.NaN, Double.NaN);
    }

    /** With a fixed y range (e.g. 0..1 for accuracies); NaN bounds follow the data. */
    public static String render(
            String title,
            String xLabel,
            String yLabel,
            boolean logX,
            List<Series> series,
            double fixedMinY,
            double fixedMaxY) {
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (Point p : s.points()) {
                if (!Double.isFinite(p.y())) {
                    continue;
                }
                double x = logX ? log2(p.x()) : p.x();
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
                minY = Math.min(minY, p.y());
                maxY = Math.max(maxY, p.y());
            }
        }
        if (minX > maxX) { // no finite point at all
            minX = 0;
            maxX = 1;
            minY = 0;
            maxY = 1;
        }
        if (maxX == minX) {
            minX -= 1;
            maxX += 1;
        }
        if (maxY == minY) {
            minY = minY - Math.max(1e-9, Math.abs(minY) * 0.1);
            maxY = maxY + Math.max(1e-9, Math.abs(maxY) * 0.1);
        }
        double pad = (maxY - minY) * 0.05;
        minY = Math.max(minY >= 0 ? 0 : minY - pad, minY - pad);
        maxY += pad;
        if (!Double.isNaN(fixedMinY) && !Double.isNaN(fixedMaxY)) {
            minY = fixedMinY;
            maxY = fixedMaxY;
        }
        Frame f = new Frame(minX, maxX, minY, maxY);

        StringBuilder b = new StringBuilder();
        b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart line-chart\" width=\"")
                .append(WIDTH)
                .append("\" height=\"")
                .append(HEIGHT)
                .append("\" viewBox=\"0 0 ")
                .append(WIDTH)
                .append(' ')
                .append(HEIGHT)
                .append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        b.append("<title>").append(Svg.esc(title)).append("</title>\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        b.append("<text class=\"chart-title\" x=\"")
                .append(LEFT)
                .append("\" y=\"20\" font-size=\"14\" font-weight=\"bold\">")
                .append(Svg.esc(title))
                .append("</text>\n");
        axes(b, f, xLabel, yLabel, logX, series);
        int i = 0;
        for (Series s : series) {
            String color = Svg.color(i);
            List<String> pts = new ArrayList<>();
            for (Point p : s.points()) {
                if (Double.isFinite(p.y())) {
                    pts.add(Svg.n(f.px(logX ? log2(p.x()) : p.x())) + "," + Svg.n(f.py(p.y())));
                }
            }
            b.append("<g class=\"series-group\" data-series=\"")
                    .append(Svg.esc(s.label()))
                    .append("\">\n");
            b.append("<polyline class=\"series\" data-series=\"")
                    .append(Svg.esc(s.label()))
                    .append("\" data-points=\"")
                    .append(pts.size())
                    .append("\" fill=\"none\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"2\" points=\"")
                    .append(String.join(" ", pts))
                    .append("\"/>\n");
            for (String p : pts) {
                String[] xy = p.split(",");
                b.append("<circle class=\"point\" cx=\"")
                        .append(xy[0])
                        .append("\" cy=\"")
                        .append(xy[1])
                        .append("\" r=\"3\" fill=\"")
                        .append(color)
                        .append("\"/>\n");
            }
            b.append("</g>\n");
            int ly = TOP + 14 + 18 * i;
            int lx = WIDTH - RIGHT + 12;
            b.append("<line x1=\"")
                    .append(lx)
                    .append("\" y1=\"")
                    .append(ly - 4)
                    .append("\" x2=\"")
                    .append(lx + 18)
                    .append("\" y2=\"")
                    .append(ly - 4)
                    .append("\" stroke=\"")
                    .append(color)
                    .append("\" stroke-width=\"2\"/>\n");
            b.append("<text class=\"legend\" x=\"")
                    .append(lx + 24)
                    .append("\" y=\"")
                    .append(ly)
                    .append("\">")
                    .append(Svg.esc(s.label()))
                    .append("</text>\n");
            i++;
        }
        b.append("</svg>\n");
        return b.toString();
    }

    private static void axes(
            StringBuilder b, Frame f, String xLabel, String yLabel, boolean logX, List<Series> series) {
        int x0 = LEFT, x1 = WIDTH - RIGHT, y0 = HEIGHT - BOTTOM, y1 = TOP;
        b.append("<g class=\"axes\" stroke=\"#333\">\n");
        b.append("<line x1=\"" + x0 + "\" y1=\"" + y0 + "\" x2=\"" + x1 + "\" y2=\"" + y0 + "\"/>\n");
        b.append("<line x1=\"" + x0 + "\" y1=\"" + y0 + "\" x2=\"" + x0 + "\" y2=\"" + y1 + "\"/>\n");
        b.append("</g>\n");
        // x ticks: every distinct x of the data (lengths and steps are few), at most 12
        java.util.TreeSet<Double> xs = new java.util.TreeSet<>();
        for (Series s : series) {
            for (Point p : s.points()) {
                xs.add(p.x());
            }
        }
        int every = Math.max(1, (xs.size() + 11) / 12);
        int k = 0;
        for (double x : xs) {
            if (k++ % every != 0) {
                continue;
            }
            double px = f.px(logX ? log2(x) : x);
            b.append("<text class=\"tick\" x=\"")
                    .append(Svg.n(px))
                    .append("\" y=\"")
                    .append(y0 + 16)
                    .append("\" text-anchor=\"middle\">")
                    .append(Svg.tick(x))
                    .append("</text>\n");
        }
        for (int t = 0; t <= 4; t++) {
            double v = f.minY + (f.maxY - f.minY) * t / 4;
            double py = f.py(v);
            b.append("<line stroke=\"#eee\" x1=\"" + x0 + "\" x2=\"" + x1 + "\" y1=\"" + Svg.n(py) + "\" y2=\""
                    + Svg.n(py) + "\"/>\n");
            b.append("<text class=\"tick\" x=\"")
                    .append(x0 - 6)
                    .append("\" y=\"")
                    .append(Svg.n(py + 4))
                    .append("\" text-anchor=\"end\">")
                    .append(Svg.tick(v))
                    .append("</text>\n");
        }
        b.append("<text class=\"axis-label\" x=\"")
                .append((x0 + x1) / 2)
                .append("\" y=\"")
                .append(HEIGHT - 12)
                .append("\" text-anchor=\"middle\">")
                .append(Svg.esc(xLabel))
                .append("</text>\n");
        b.append("<text class=\"axis-label\" transform=\"translate(14,")
                .append((y0 + y1) / 2)
                .append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(Svg.esc(yLabel))
                .append("</text>\n");
    }

    private record Frame(double minX, double maxX, double minY, double maxY) {
        double px(double x) {
            return LEFT + (x - minX) / (maxX - minX) * (WIDTH - LEFT - RIGHT);
        }

        double py(double y) {
            return HEIGHT - BOTTOM - (y - minY) / (maxY - minY) * (HEIGHT - BOTTOM - TOP);
        }
    }

    private static double log2(double x) {
        return Math.log(Math.max(x, 1e-12)) / Math.log(2);
    }
}
