/**
 * Small statistics over repeated measurements: medians, percentiles and how noisy a set was.
 */

/** The value below which `p` (0..1) of the sorted samples fall (nearest-rank, as most tools). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
  return sorted[rank]!;
}

/** The median (mean of the two middle values for an even count). */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The arithmetic mean. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/** Relative spread of repetitions: (max − min) / median, e.g. 0.04 for ±2 %. */
export function spread(values: ArrayLike<number>): number {
  if (values.length < 2) return 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return (max - min) / median(values);
}

/** Smallest and largest value. */
export function range(values: ArrayLike<number>): [number, number] {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]!);
    max = Math.max(max, values[i]!);
  }
  return [min, max];
}

/** Round-trip metrics from times in milliseconds: count, median, p99 and mean in microseconds. */
export function rttMetrics(rttsMs: Float64Array): Record<string, number> {
  return {
    roundTrips: rttsMs.length,
    medianUs: median(rttsMs) * 1000,
    p99Us: percentile(rttsMs, 0.99) * 1000,
    meanUs: mean(rttsMs) * 1000,
  };
}
