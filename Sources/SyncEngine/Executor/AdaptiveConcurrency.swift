import Foundation
import Logging
import S3Client
import Synchronization

/// Moves a ``RequestBudget`` with a ``ConcurrencyController`` while a run works: measures windows
/// of a few round trips on its clock, asks the controller, resizes the budget, logs each move (at
/// info level: `--verbose`) and keeps the peak and time-weighted mean for the summary. With a
/// fixed `--concurrency` it only keeps the figures.
final class AdaptiveConcurrency: Sendable {
    /// What the run's summary reports of the budget.
    struct Figures: Sendable, Equatable {
        var peak: Int
        var mean: Double
    }

    /// What the windows measure besides the budget's own counters.
    struct Signals: Sendable {
        /// Body bytes sent and received so far.
        var bytes: @Sendable () -> Int64
        /// Throttling answers and other retried failures so far.
        var trouble: @Sendable () -> (throttles: Int, failures: Int)
    }

    /// The shortest window, and the longest: long enough for a few round trips, short enough
    /// to follow a run that lasts seconds.
    static let shortestWindow = 0.1
    static let longestWindow = 5.0
    /// A window lasts at least this many mean request latencies.
    static let latenciesPerWindow = 3.0

    let budget: RequestBudget
    let adaptive: Bool
    let bounds: ConcurrencyController.Bounds
    let signals: Signals
    let logger: Logger
    private let figures: Mutex<(peak: Int, weightedSum: Double, seconds: Double)>

    init(
        budget: RequestBudget, adaptive: Bool, bounds: ConcurrencyController.Bounds, signals: Signals, logger: Logger
    ) {
        self.budget = budget
        self.adaptive = adaptive
        self.bounds = bounds
        self.signals = signals
        self.logger = logger
        self.figures = Mutex((budget.capacity, 0, 0))
    }

    /// The peak and mean budget so far.
    var summary: Figures {
        figures.withLock { figures in
            Figures(
                peak: figures.peak,
                mean: figures.seconds > 0 ? figures.weightedSum / figures.seconds : Double(budget.capacity))
        }
    }

    /// Runs until cancelled, ticking on `clock`.
    func run<C: Clock>(clock: C, tick: C.Duration) async where C.Duration == Duration {
        var controller = ConcurrencyController(initial: budget.capacity, bounds: bounds)
        var windowStart = clock.now
        var lastTick = windowStart
        var bytesAtStart = signals.bytes()
        var troubleAtStart = signals.trouble()
        var counters = RequestBudget.Counters()
        var windowLength = Self.shortestWindow
        _ = budget.takeCounters()
        while !Task.isCancelled {
            try? await clock.sleep(for: tick)
            let now = clock.now
            record(limit: budget.capacity, seconds: lastTick.duration(to: now).seconds)
            lastTick = now
            let taken = budget.takeCounters()
            counters.completed += taken.completed
            counters.latencySeconds += taken.latencySeconds
            counters.peakInUse = max(counters.peakInUse, taken.peakInUse)
            counters.contended = counters.contended || taken.contended
            let elapsed = windowStart.duration(to: now).seconds
            guard adaptive, elapsed >= windowLength, counters.completed > 0 || elapsed >= Self.longestWindow else {
                continue
            }
            let bytes = signals.bytes()
            let trouble = signals.trouble()
            let window = ConcurrencyController.Window(
                seconds: elapsed, completed: counters.completed, bytes: bytes - bytesAtStart,
                latencySeconds: counters.latencySeconds, contended: counters.contended,
                throttles: trouble.throttles - troubleAtStart.throttles,
                failures: trouble.failures - troubleAtStart.failures)
            let before = controller.limit
            let after = controller.adjust(after: window)
            if after != before {
                budget.resize(to: after)
                logger.info(
                    "request budget \(before) → \(after)",
                    metadata: [
                        "rate": "\(Int(window.rate))/s", "latency_ms": "\(Int(window.meanLatency * 1000))",
                        "throttles": "\(window.throttles)", "failures": "\(window.failures)",
                    ])
            }
            windowLength = min(
                Self.longestWindow, max(Self.shortestWindow, Self.latenciesPerWindow * window.meanLatency))
            windowStart = now
            bytesAtStart = bytes
            troubleAtStart = trouble
            counters = RequestBudget.Counters()
        }
    }

    private func record(limit: Int, seconds: Double) {
        figures.withLock { figures in
            figures.peak = max(figures.peak, limit)
            figures.weightedSum += Double(limit) * seconds
            figures.seconds += seconds
        }
    }
}
