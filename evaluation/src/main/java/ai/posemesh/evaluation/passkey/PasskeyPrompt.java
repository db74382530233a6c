package ai.posemesh.evaluation.passkey;

/**
 * The passkey prompt of the PoSE paper's reference code ({@code src/eval_passkey.py}): these five lines joined by
 * newlines — the task, the filler repeated x times (no separator), the key sentence, the filler y times, the question.
 */
public final class PasskeyPrompt {

    public static final String TASK = "There is an important info hidden inside a lot of irrelevant text. "
            + "Find it and memorize them. I will quiz you about the important information there.";
    public static final String FILLER =
            "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";
    public static final String QUESTION = "What is the pass key? The pass key is";

    private PasskeyPrompt() {}

    public static String build(int key, int fillerBefore, int fillerAfter) {
        String keyLine = "The pass key is " + key + ". Remember it. " + key + " is the pass key.";
        return String.join("\n", TASK, FILLER.repeat(fillerBefore), keyLine, FILLER.repeat(fillerAfter), QUESTION);
    }
}
