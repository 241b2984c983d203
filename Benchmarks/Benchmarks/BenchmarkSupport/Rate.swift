import Benchmark

/// Rates as custom metrics (bigger is better), timed inside the measured closure.
public enum Rate {
    public static let megabytesPerSecond = metric("MB/s")
    public static let entriesPerSecond = metric("entries/s")
    public static let tasksPerSecond = metric("tasks/s")
    public static let partsPerSecond = metric("parts/s")
    public static let filesPerSecond = metric("files/s")

    static func metric(_ name: String) -> BenchmarkMetric {
        .custom(name, polarity: .prefersLarger, useScalingFactor: false)
    }

    /// Records `units` divided by the seconds elapsed since `start`.
    public static func record(
        _ benchmark: Benchmark, _ metric: BenchmarkMetric, units: Double, since start: ContinuousClock.Instant
    ) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard seconds > 0 else { return }
        benchmark.measurement(metric, Int((units / seconds).rounded()))
    }
}
