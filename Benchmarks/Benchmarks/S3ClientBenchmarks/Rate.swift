import Benchmark

/// Rates as custom metrics (bigger is better), timed inside the measured closure.
enum Rate {
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

    /// Records `units` divided by the seconds elapsed since `start`.
    static func record(
        _ benchmark: Benchmark, _ metric: BenchmarkMetric, units: Double, since start: ContinuousClock.Instant
    ) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds > 0 else { return }
        benchmark.measurement(metric, Int((units / seconds).rounded()))
    }
}
