import Foundation

/// Finds how many requests to keep in flight (`--concurrency auto`): the budget doubles while
/// throughput keeps rising, settles where it stops, then probes a step higher now and then and
/// keeps the step only if throughput rose with it; it steps down when latency grows without
/// throughput, and cuts back by 30 % on throttling (SlowDown) or failing requests. It never
/// leaves its bounds. A pure core: it judges windows of measurements that the caller takes with
/// its own clock (``AdaptiveConcurrency``).
struct ConcurrencyController: Sendable {
    struct Bounds: Sendable, Equatable {
        var floor: Int
        var ceiling: Int

        /// This process's bounds: at least 4 requests; at most 192 (each connection and request
        /// in flight costs about 100 KB beside the bodies, which have their own byte budget, so
        /// this keeps a run well under 64 MB), and no more than the open files allowed leave room
        /// for (a request can hold a socket and a file; the state database and logs need some).
        static let process: Bounds = {
            var limit = rlimit()
            let openFiles = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(clamping: limit.rlim_cur) : 1024
            return Bounds(floor: 4, ceiling: max(4, min(192, (openFiles - 64) / 2)))
        }()

        /// The bounds for requests over TLS: at most 128, since a TLS connection costs about
        /// twice the memory of a plain one (its buffers and session), while 50 ms away 128 in
        /// flight carry nearly what 192 do.
        static let processOverTLS = Bounds(floor: process.floor, ceiling: min(process.ceiling, 128))

        /// The bounds of a run that starts at `initial` requests: this process's, widened to
        /// take the start in.
        static func run(startingAt initial: Int, tls: Bool) -> Bounds {
            let limits = tls ? processOverTLS : process
            return Bounds(floor: min(initial, limits.floor), ceiling: max(initial, limits.ceiling))
        }
    }

    /// What the requests did during one window.
    struct Window: Sendable, Equatable {
        var seconds: Double
        /// Requests completed.
        var completed: Int
        /// Body bytes sent and received.
        var bytes: Int64
        /// The sum of the completed requests' latencies.
        var latencySeconds: Double
        /// Whether work waited for a permit: only then does the window say anything about a
        /// larger budget.
        var contended: Bool
        /// Throttling answers (SlowDown, 503).
        var throttles = 0
        /// Requests that failed and were retried for another reason (connections, 5xx).
        var failures = 0

        var meanLatency: Double { completed > 0 ? latencySeconds / Double(completed) : 0 }

        /// Work done per second: requests, with each MiB of body counted as one more, so small
        /// files and large parts weigh alike.
        var rate: Double {
            seconds > 0 ? (Double(completed) + Double(bytes) / Double(1 << 20)) / seconds : 0
        }
    }

    enum Phase: Sendable, Equatable {
        /// Doubling while throughput keeps rising.
        case rising
        /// Holding near the knee, probing one step up now and then.
        case steady
    }

    /// A gain below this is noise.
    static let significantGain = 1.05
    /// While rising, a doubling that gains at least this much is followed by another: far
    /// below the knee a doubling nearly doubles throughput, and noise alone rarely fakes this.
    static let risingGain = 1.3
    /// Holding windows between two probes.
    static let windowsBetweenProbes = 3
    /// Windows after a cut before the budget may grow again.
    static let windowsAfterCut = 2
    /// Windows at the start that are not judged: connections are still being opened.
    static let warmUpWindows = 1

    let bounds: Bounds
    private(set) var limit: Int
    private(set) var phase = Phase.rising
    /// The limit and rate of the last window judged.
    private var reference: (limit: Int, rate: Double)?
    private var lowestLatency = Double.infinity
    private var calmWindows = 0
    private var holdingWindows = 0
    private var windowsJudged = 0

    init(initial: Int, bounds: Bounds) {
        self.bounds = bounds
        self.limit = min(bounds.ceiling, max(bounds.floor, initial))
    }

    /// The step of an additive change at the current limit.
    var step: Int { max(2, limit / 8) }

    /// Judges a window run at ``limit`` and returns the limit for the next one.
    @discardableResult
    mutating func adjust(after window: Window) -> Int {
        // Any throttling answer is the store asking for less; a failed request now and then is
        // not (servers answer 500 at random), a few percent of them are.
        if window.throttles > 0 || (window.failures >= 2 && window.failures * 50 > window.completed) {
            cut()
            return limit
        }
        guard window.completed > 0, window.seconds > 0 else { return limit }
        windowsJudged += 1
        guard windowsJudged > Self.warmUpWindows else { return limit }
        lowestLatency = min(lowestLatency, window.meanLatency)
        let rate = window.rate
        if calmWindows > 0 {
            calmWindows -= 1
            reference = (limit, rate)
            return limit
        }
        // The work, not the budget, limited this window: it says nothing about a larger budget.
        guard window.contended else { return limit }
        guard let reference else {
            self.reference = (limit, rate)
            if phase == .rising { set(limit * 2) }
            return limit
        }
        let gain = reference.rate > 0 ? rate / reference.rate : Self.risingGain
        switch phase {
        case .rising:
            if limit <= reference.limit || gain >= Self.risingGain {
                self.reference = (limit, rate)
                set(limit * 2)
            } else if gain >= Self.significantGain {
                self.reference = (limit, rate)
                phase = .steady
            } else {
                // The doubling bought nothing: back to where it was.
                phase = .steady
                set(reference.limit)
            }
        case .steady:
            if limit > reference.limit {
                // A probe: keep the step only if throughput rose with it.
                holdingWindows = 0
                if gain >= Self.significantGain {
                    self.reference = (limit, rate)
                } else {
                    set(reference.limit)
                }
            } else if window.meanLatency > 2 * lowestLatency && gain < Self.significantGain && limit > bounds.floor {
                // Requests wait longer for no more throughput: fewer in flight do as well.
                self.reference = (limit, rate)
                set(limit - step)
            } else {
                self.reference = (limit, rate)
                holdingWindows += 1
                if holdingWindows >= Self.windowsBetweenProbes {
                    holdingWindows = 0
                    set(limit + step)
                }
            }
        }
        return limit
    }

    /// Multiplicative decrease: the store is throttling or requests are failing.
    private mutating func cut() {
        set(limit * 7 / 10)
        phase = .steady
        reference = nil
        holdingWindows = 0
        calmWindows = Self.windowsAfterCut
    }

    private mutating func set(_ newLimit: Int) {
        limit = min(bounds.ceiling, max(bounds.floor, newLimit))
    }
}
