package ai.posemesh.proto.mapping;

import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainSpec;

/**
 * The training library's method as the Trainer API's enum and back: the one mapping the CLI (`./pose train
 * --endpoint`) and trainer-service use. Needs {@code posemesh-train} on the class path (an optional dependency).
 */
public final class TrainMessages {

    private TrainMessages() {}

    /** The API's enum for a library method. */
    public static Method method(TrainSpec.Method m) {
        return switch (m) {
            case POSE -> Method.METHOD_POSE;
            case RANDPOS -> Method.METHOD_RANDPOS;
            case FULL -> Method.METHOD_FULL;
            case NONE -> Method.METHOD_NONE;
        };
    }

    /**
     * The library method for the API's enum; null for METHOD_UNSPECIFIED (the spec's validation then says "method: is
     * required"); a value this build does not know is INVALID_ARGUMENT on {@code method}.
     */
    public static TrainSpec.Method method(Method m, int wireValue) {
        return switch (m) {
            case METHOD_POSE -> TrainSpec.Method.POSE;
            case METHOD_RANDPOS -> TrainSpec.Method.RANDPOS;
            case METHOD_FULL -> TrainSpec.Method.FULL;
            case METHOD_NONE -> TrainSpec.Method.NONE;
            case METHOD_UNSPECIFIED -> null;
            case UNRECOGNIZED ->
                throw new TrainException(
                        TrainException.Kind.INVALID_ARGUMENT,
                        "method",
                        "unknown method " + wireValue + "; expected METHOD_POSE, METHOD_RANDPOS, METHOD_FULL"
                                + " or METHOD_NONE");
        };
    }
}
