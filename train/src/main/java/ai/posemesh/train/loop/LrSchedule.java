package ai.posemesh.train.loop;

/**
 * Warmup then linear decay to 0 at the last step — DeepSpeed's WarmupDecayLR as the seed configures it. Warmup is
 * logarithmic by default (DeepSpeed's default {@code warmup_type}: lr·ln(step+1)/ln(warmup)), or linear.
 */
public record LrSchedule(double peak, int warmupSteps, int totalSteps, boolean logWarmup) {

    /** Learning rate for optimizer step {@code step} (1-based, as checkpoints count). */
    public double at(int step) {
        int i = step - 1; // DeepSpeed's last_batch_iteration
        if (i < warmupSteps) {
            if (logWarmup) {
                return warmupSteps <= 1 ? peak : peak * Math.log(i + 1) / Math.log(warmupSteps);
            }
            return peak * (i + 1) / warmupSteps;
        }
        if (totalSteps <= warmupSteps) {
            return peak;
        }
        return peak * Math.max(0.0, (double) (totalSteps - i) / (totalSteps - warmupSteps));
    }
}
