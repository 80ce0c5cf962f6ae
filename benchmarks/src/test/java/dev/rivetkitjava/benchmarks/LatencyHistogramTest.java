package dev.rivetkitjava.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void percentilesOfOneToTenThousandAreWithinOneBucket() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v = 1; v <= 10_000; v++) {
            h.record(v);
        }
        assertThat(h.count()).isEqualTo(10_000);
        assertThat(h.min()).isEqualTo(1);
        assertThat(h.max()).isEqualTo(10_000);
        assertThat(h.mean()).isCloseTo(5_000.5, within(1e-9));
        // Reported as the top of the value's bucket: never below the true value, at most 1/128
        // above it.
        assertThat(h.percentile(50)).isBetween(5_000L, 5_000L + 5_000 / 128);
        assertThat(h.percentile(95)).isBetween(9_500L, 9_500L + 9_500 / 128);
        assertThat(h.percentile(99)).isBetween(9_900L, 9_900L + 9_900 / 128);
        assertThat(h.percentile(100)).isEqualTo(10_000);
    }

    @Test
    void smallValuesAreExact() {
        LatencyHistogram h = new LatencyHistogram();
        for (int v : new int[] {0, 3, 3, 7, 100, 255}) {
            h.record(v);
        }
        assertThat(h.percentile(1)).isZero();
        assertThat(h.percentile(50)).isEqualTo(3);
        assertThat(h.percentile(60)).isEqualTo(7);
        assertThat(h.percentile(80)).isEqualTo(100);
        assertThat(h.percentile(100)).isEqualTo(255);
    }

    @Test
    void aSkewedDistributionMatchesTheSortedSamples() {
        Random random = new Random(42);
        long[] samples = new long[100_000];
        LatencyHistogram h = new LatencyHistogram();
        for (int i = 0; i < samples.length; i++) {
            // mostly ~0.5 ms, a tail up to 2 s, in nanoseconds
            samples[i] =
                    i % 100 == 0
                            ? (long) (random.nextDouble() * 2e9)
                            : 400_000 + random.nextInt(200_000);
            h.record(samples[i]);
        }
        Arrays.sort(samples);
        for (double p : new double[] {50, 90, 95, 99, 99.9}) {
            long exact = samples[(int) Math.ceil(p / 100 * samples.length) - 1];
            assertThat(h.percentile(p)).as("p%s", p).isBetween(exact, exact + exact / 128 + 1);
        }
        assertThat(h.max()).isEqualTo(samples[samples.length - 1]);
    }

    @Test
    void hugeAndNegativeValuesLandInTheEndBuckets() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(-5);
        h.record(Long.MAX_VALUE);
        assertThat(h.min()).isZero();
        assertThat(h.percentile(50)).isZero();
        assertThat(h.percentile(100)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void bucketsTileTheRangeWithoutGaps() {
        for (int i = 0; i < 7_295; i++) {
            assertThat(LatencyHistogram.lowest(i + 1)).isEqualTo(LatencyHistogram.highest(i) + 1);
            assertThat(LatencyHistogram.index(LatencyHistogram.lowest(i))).isEqualTo(i);
            assertThat(LatencyHistogram.index(LatencyHistogram.highest(i))).isEqualTo(i);
        }
    }

    @Test
    void addMergesCountsAndExtremes() {
        LatencyHistogram a = new LatencyHistogram();
        LatencyHistogram b = new LatencyHistogram();
        for (int v = 1; v <= 50; v++) {
            a.record(v);
            b.record(v + 50);
        }
        a.add(b);
        assertThat(a.count()).isEqualTo(100);
        assertThat(a.min()).isEqualTo(1);
        assertThat(a.max()).isEqualTo(100);
        assertThat(a.percentile(50)).isEqualTo(50);
    }

    @Test
    void emptyIsZeroAndBadPercentilesAreRejected() {
        LatencyHistogram h = new LatencyHistogram();
        assertThat(h.percentile(99)).isZero();
        assertThat(h.max()).isZero();
        assertThat(h.summaryMillis())
                .isEqualTo("p50 0.00 ms  p95 0.00 ms  p99 0.00 ms  max 0.00 ms");
        assertThatThrownBy(() -> h.percentile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.percentile(101)).isInstanceOf(IllegalArgumentException.class);
    }
}
