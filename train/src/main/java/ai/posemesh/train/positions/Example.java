package ai.posemesh.train.positions;

/**
 * One training input: token ids and their position ids, same length. Labels are the ids themselves: the loss shifts
 * (token i predicts token i+1), and, as in PoSE's reference code, the prediction across a chunk boundary is not masked.
 */
public record Example(long[] inputIds, long[] positionIds) {
    public Example {
        if (inputIds.length != positionIds.length) {
            throw new IllegalArgumentException(inputIds.length + " ids but " + positionIds.length + " positions");
        }
    }

    public int length() {
        return inputIds.length;
    }
}
