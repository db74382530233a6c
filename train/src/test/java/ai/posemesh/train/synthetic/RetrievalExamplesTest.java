package ai.posemesh.train.synthetic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.train.TinySetup;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetrievalExamplesTest {

    @TempDir
    Path tmp;

    @Test
    void everyQuestionFollowsItsFactWithTheSameNumber() throws Exception {
        Path base = TinySetup.base(tmp.resolve("b"), 64);
        try (TextTokenizer tok = TextTokenizer.load(base)) {
            RetrievalExamples ex = new RetrievalExamples(tok);
            long[] filler = tok.encode("lorem ipsum dolor sit amet ".repeat(100), false);
            Pattern fact = Pattern.compile("(\\w+)'s secret number is (\\d+)\\.|the code for (\\w+) is (\\d+)\\."
                    + "|The locker of (\\w+) has the number (\\d+)\\.|(\\w+) was born in the year (\\d+)\\."
                    + "|The ticket of (\\w+) reads (\\d+)\\.|Badge of (\\w+): (\\d+)\\."
                    + "|The door code of (\\w+) is (\\d+)\\.|The room of (\\w+) is number (\\d+)\\.");
            for (int seed = 0; seed < 50; seed++) {
                long[] w = ex.facts(512, 256, new SplittableRandom(seed), n -> java.util.Arrays.copyOf(filler, n));
                assertEquals(512, w.length);
                assertEquals(256, w[0]);
                String text = tok.decode(java.util.Arrays.copyOfRange(w, 1, w.length), true);
                Matcher m = fact.matcher(text);
                int facts = 0;
                while (m.find()) {
                    facts++;
                    String name = null;
                    String number = null;
                    for (int g = 1; g <= 16; g += 2) {
                        if (m.group(g) != null) {
                            name = m.group(g);
                            number = m.group(g + 1);
                        }
                    }
                    // the answer to this name's question, later in the window, is the same number
                    String rest = text.substring(m.end());
                    assertTrue(rest.contains(name), text);
                    int q = rest.lastIndexOf(name);
                    Matcher ans = Pattern.compile("(\\d+)\\.").matcher(rest.substring(q));
                    assertTrue(ans.find(), text);
                    assertEquals(number, ans.group(1), text);
                }
                assertTrue(facts >= 1 && facts <= RetrievalExamples.MAX_FACTS, text);
            }
            // repeat windows: every " key ..." span appears an even number of times (each is written twice,
            // unless cut by the window's end)
            for (int seed = 0; seed < 20; seed++) {
                long[] w = ex.repeats(512, 256, new SplittableRandom(seed), n -> java.util.Arrays.copyOf(filler, n));
                assertEquals(512, w.length);
                String text = tok.decode(java.util.Arrays.copyOfRange(w, 1, w.length), true);
                Matcher m = Pattern.compile("key (\\d+ [a-z]+)\\.").matcher(text);
                java.util.Map<String, Integer> seen = new java.util.HashMap<>();
                String lastSpan = null;
                while (m.find()) {
                    seen.merge(m.group(1), 1, Integer::sum);
                    lastSpan = m.group(1);
                }
                String last = lastSpan;
                seen.forEach((k, v) -> assertTrue(v % 2 == 0 || k.equals(last), text));
                assertTrue(seen.values().stream().anyMatch(v -> v == 2), "a span and its repeat: " + text);
            }
            // keyed windows: every number is stated and later restated after the same phrase and link
            Pattern number = Pattern.compile("(\\d+)\\. ");
            int restated = 0;
            for (int seed = 0; seed < 50; seed++) {
                long[] w = ex.keyed(256, 256, new SplittableRandom(seed), n -> java.util.Arrays.copyOf(filler, n));
                assertEquals(256, w.length);
                assertEquals(256, w[0]);
                String text = tok.decode(java.util.Arrays.copyOfRange(w, 1, w.length), true);
                java.util.Map<String, java.util.List<Integer>> at = new java.util.HashMap<>();
                Matcher m = number.matcher(text);
                while (m.find()) {
                    at.computeIfAbsent(m.group(1), k -> new java.util.ArrayList<>())
                            .add(m.start());
                }
                assertTrue(!at.isEmpty(), text);
                for (var e : at.entrySet()) {
                    assertTrue(e.getValue().size() <= 2, text);
                    if (e.getValue().size() == 2) {
                        restated++;
                        // the same phrase and link lead to both: what precedes them agrees on a word and a link
                        String a = text.substring(0, e.getValue().get(0));
                        String b = text.substring(0, e.getValue().get(1));
                        int common = 0;
                        while (common < a.length()
                                && common < b.length()
                                && a.charAt(a.length() - 1 - common) == b.charAt(b.length() - 1 - common)) {
                            common++;
                        }
                        String shared = a.substring(a.length() - common);
                        assertTrue(
                                java.util.Arrays.stream(RetrievalExamples.LINKS)
                                        .anyMatch(l -> shared.matches("(?s).*[A-Za-z]{2}" + Pattern.quote(l) + " ")),
                                shared);
                    }
                }
            }
            assertTrue(restated >= 50, "statements restated: " + restated);
        }
    }
}
