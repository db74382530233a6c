package ai.posemesh.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void deepSpeedWarmupDecay() {
        LrSchedule s = new LrSchedule(2e-5, 10, 1000, true);
        assertEquals(0.0, s.at(1), 0); // ln(1) = 0
        assertEquals(2e-5 * Math.log(5) / Math.log(10), s.at(5), 1e-15);
        assertEquals(2e-5, s.at(11), 1e-15); // first step after warmup: (1000-10)/(1000-10)
        assertEquals(2e-5 * 500 / 990, s.at(501), 1e-15);
        assertEquals(2e-5 / 990, s.at(1000), 1e-15);
        LrSchedule linear = new LrSchedule(1e-3, 4, 8, false);
        assertEquals(0.25e-3, linear.at(1), 1e-15);
        assertEquals(1e-3, linear.at(4), 1e-15);
    }
}
