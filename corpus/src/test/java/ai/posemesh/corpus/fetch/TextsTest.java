package ai.posemesh.corpus.fetch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The source-specific text clean-ups: Brown tags, set.mm sections, KJV books, Project Gutenberg headers. */
class TextsTest {

    @Test
    void brownTagsAreStripped() {
        assertEquals("Fulton", BrownCorpus.stripTag("Fulton/np-tl"));
        assertEquals("Atlanta's", BrownCorpus.stripTag("Atlanta's/np$"));
        assertEquals("1-1/2", BrownCorpus.stripTag("1-1/2/cd")); // the tag is after the last slash
        assertEquals("didn't", BrownCorpus.stripTag("didn't/dod*"));
        assertEquals("--", BrownCorpus.stripTag("--/--"));
        assertEquals("plain", BrownCorpus.stripTag("plain"));
    }

    @Test
    void brownBecomesReadableParagraphs() {
        String tagged = "\n\n\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd ``/`` no/at "
                + "evidence/nn ''/'' ,/, and/cc cost/nn $/$ 5/cd ./.\n"
                + "It/pps urged/vbd (/( once/rb )/) that/cs builder/nn ;/. ;/. the/at city/nn act/vb ./.\n"
                + "\n\n\n"
                + "Merger/nn-hl proposed/vbn-hl \n"
                + "However/wrb ,/, the/at jury/nn said/vbd ``/`` yes/rb ./. ''/''\n"
                + "\n\n\tHe/pps said/vbd ``/`` fine/jj ''/'' ./.\n";
        String text = BrownCorpus.detokenize(tagged);
        assertEquals(
                "The Fulton County Grand Jury said \"no evidence,\" and cost $5. It urged (once) that "
                        + "builder; the city act.\n\n"
                        + "Merger proposed\n\n"
                        + "However, the jury said \"yes.\"\n\n"
                        + "He said \"fine.\"",
                text);
    }

    @Test
    void setMmSplitsAtPartAndSectionMarkers() {
        String filler = "  ax-mp $a |- ps $.\n".repeat(300); // ~6k chars
        String mm = "$( set.mm - preamble $)\n"
                + "$(\n" + "#".repeat(79) + "\n            CLASSICAL LOGIC\n" + "#".repeat(79) + "\n$)\n"
                + "$(\n" + "#*".repeat(39) + "#\n        Propositional calculus\n" + "#*".repeat(39) + "#\n$)\n"
                + filler
                + "$(\n" + "=-".repeat(39) + "=\n  a subsection stays inside its section\n" + "=-".repeat(39)
                + "=\n$)\n" + filler
                + "$(\n" + "#*".repeat(39) + "#\n        Predicate calculus\n" + "#*".repeat(39) + "#\n$)\n"
                + filler
                + "$(\n" + "#*".repeat(39) + "#\n        Tiny tail\n" + "#*".repeat(39) + "#\n$)\n  x $a y $.\n";
        List<Metamath.Section> s = Metamath.split(mm);
        assertEquals(2, s.size(), s.toString());
        // the preamble and the part's title page are merged into the first section...
        assertEquals("preamble", s.get(0).title());
        assertTrue(s.get(0).text().startsWith("$( set.mm - preamble $)\n$(\n####"));
        assertTrue(s.get(0).text().contains("a subsection stays inside its section"));
        // ...and the short last section into the one before
        assertEquals("Predicate calculus", s.get(1).title());
        assertTrue(s.get(1).text().endsWith("Tiny tail\n" + "#*".repeat(39) + "#\n$)\n  x $a y $.\n"));
        assertEquals(mm, s.get(0).text() + "\n" + s.get(1).text()); // nothing lost, nothing duplicated
        assertEquals("zf-set-theory-add-the-axiom-of-union", Metamath.slug("ZF Set Theory - add the Axiom of Union"));
    }

    @Test
    void kjvSplitsIntoBooksByOrder() {
        StringBuilder export = new StringBuilder("Ge1:1 In the beginning God created the heaven and the earth.\n"
                + "Ge1:2 And the earth was without form,\n  and void.\n" // a wrapped verse
                + "Ge2:1 Thus the heavens and the earth were finished.\n"
                + "Exo1:1 Now these are the names.\n");
        List<Kjv.Book> books = Kjv.split(export.toString());
        assertEquals(2, books.size());
        assertEquals(
                "Genesis\n\n1:1 In the beginning God created the heaven and the earth.\n"
                        + "1:2 And the earth was without form, and void.\n\n"
                        + "2:1 Thus the heavens and the earth were finished.\n",
                books.get(0).text());
        assertEquals("Exodus", books.get(1).name());
        assertEquals(1, books.get(1).index());
    }

    @Test
    void gutenbergHeaderAndLicenceAreRemoved() {
        String raw = "\uFEFFThe Project Gutenberg EBook of Moby Dick\r\n\r\n*** START OF THIS PROJECT GUTENBERG EBOOK "
                + "MOBY DICK ***\r\n\r\nCall me Ishmael.\r\n\r\nEnd of Project Gutenberg's Moby Dick\r\n\r\n"
                + "*** END OF THIS PROJECT GUTENBERG EBOOK MOBY DICK ***\r\nlicence text\r\n";
        assertEquals("Call me Ishmael.", Gutenberg.stripHeader(Gutenberg.normalize(raw)));
        assertEquals("no markers", Gutenberg.stripHeader(Gutenberg.normalize("no markers\r\n")));
    }
}
