package ai.posemesh.service.eval;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reading the DOM Chromium dumped: counts and the points of a series' polyline. */
final class ChromiumDom {

    private ChromiumDom() {}

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    /** Points of the first polyline of that series (the ppl-vs-length chart comes first), or -1. */
    static int polylinePoints(String dom, String series) {
        Matcher m = Pattern.compile("<polyline[^>]*data-series=\"" + Pattern.quote(series) + "\"[^>]*>")
                .matcher(dom);
        if (!m.find()) {
            return -1;
        }
        Matcher pts = Pattern.compile("\\spoints=\"([^\"]*)\"").matcher(m.group());
        if (!pts.find() || pts.group(1).isBlank()) {
            return 0;
        }
        return pts.group(1).trim().split("\\s+").length;
    }
}
