package dev.rivetkitjava.benchmarks;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fixed-bucket latency histogram (a small HdrHistogram): values below 256 are counted exactly;
 * above, each power of two is split into 128 buckets, so a reported percentile is at most 1/128
 * (0.8 %) above the true value. Fixed size (about 57 KB), safe to record into from many threads, no
 * allocation per value.
 *
 * <p>Values are plain longs; the load tool records nanoseconds. A percentile is reported as the
 * highest value of its bucket, clamped to the largest value recorded, so "p99 ≤ x" is never
 * optimistic.
 */
public final class LatencyHistogram {
    private static final int SUB_BITS = 7;
    private static final int SUB_BUCKETS = 1 << SUB_BITS;

    /** Values below this (2 × sub-buckets) get one bucket each. */
    private static final int LINEAR = 2 * SUB_BUCKETS;

    private static final int FIRST_EXPONENT = SUB_BITS + 1;
    private static final int BUCKETS = LINEAR + (63 - FIRST_EXPONENT) * SUB_BUCKETS;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final LongAdder total = new LongAdder();
    private final LongAdder sum = new LongAdder();
    private final LongAccumulator max = new LongAccumulator(Math::max, Long.MIN_VALUE);
    private final LongAccumulator min = new LongAccumulator(Math::min, Long.MAX_VALUE);

    /** Records one value; a negative one (a clock quirk) counts as 0. */
    public void record(long value) {
        long v = Math.max(0, value);
        counts.incrementAndGet(index(v));
        total.increment();
        sum.add(v);
        max.accumulate(v);
        min.accumulate(v);
    }

    /** Adds every value of {@code other} to this one. */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            long c = other.counts.get(i);
            if (c != 0) {
                counts.addAndGet(i, c);
            }
        }
        total.add(other.total.sum());
        sum.add(other.sum.sum());
        if (other.count() > 0) {
            max.accumulate(other.max());
            min.accumulate(other.min());
        }
    }

    public long count() {
        return total.sum();
    }

    /** The largest value recorded, exactly; 0 when empty. */
    public long max() {
        return count() == 0 ? 0 : max.get();
    }

    /** The smallest value recorded, exactly; 0 when empty. */
    public long min() {
        return count() == 0 ? 0 : min.get();
    }

    public double mean() {
        long n = count();
        return n == 0 ? 0 : (double) sum.sum() / n;
    }

    /**
     * The value at or below which {@code percent} % of the values lie (0 &lt; percent ≤ 100), to
     * within 0.8 % above; 0 when empty.
     */
    public long percentile(double percent) {
        if (!(percent > 0 && percent <= 100)) {
            throw new IllegalArgumentException("percent must be in (0, 100]: " + percent);
        }
        long n = count();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percent / 100.0 * n));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts.get(i);
            if (seen >= rank) {
                return Math.max(min(), Math.min(highest(i), max()));
            }
        }
        return max();
    }

    static int index(long v) {
        if (v < LINEAR) {
            return (int) v;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(v);
        int sub = (int) ((v >>> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1));
        return LINEAR + (exponent - FIRST_EXPONENT) * SUB_BUCKETS + sub;
    }

    static long lowest(int index) {
        if (index < LINEAR) {
            return index;
        }
        int exponent = (index - LINEAR) / SUB_BUCKETS + FIRST_EXPONENT;
        long sub = (index - LINEAR) % SUB_BUCKETS;
        return (1L << exponent) | (sub << (exponent - SUB_BITS));
    }

    static long highest(int index) {
        if (index < LINEAR) {
            return index;
        }
        int exponent = (index - LINEAR) / SUB_BUCKETS + FIRST_EXPONENT;
        return lowest(index) + (1L << (exponent - SUB_BITS)) - 1;
    }

    /** "p50 0.61 ms p95 1.20 ms p99 2.31 ms max 15.2 ms" for a histogram of nanoseconds. */
    public String summaryMillis() {
        return String.format(
                "p50 %s  p95 %s  p99 %s  max %s",
                ms(percentile(50)), ms(percentile(95)), ms(percentile(99)), ms(max()));
    }

    public static String ms(long nanos) {
        double ms = nanos / 1e6;
        if (ms >= 100) {
            return String.format("%.0f ms", ms);
        }
        if (ms >= 10) {
            return String.format("%.1f ms", ms);
        }
        return String.format("%.2f ms", ms);
    }
}
