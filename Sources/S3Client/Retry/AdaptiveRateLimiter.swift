/// The client-side send-rate limiter of the AWS SDKs' adaptive retry mode (CUBIC-style).
///
/// Disabled until the first throttling response; from then on every request takes a token from
/// a bucket whose fill rate drops by β = 0.7 on each throttle and grows back along a cubic curve,
/// never above twice the measured send rate. Pure: callers pass the time in seconds.
public struct AdaptiveRateLimiter: Sendable, Hashable {
    static let smoothing = 0.8
    static let beta = 0.7
    static let scaleConstant = 0.4
    static let minFillRate = 0.5
    static let minCapacity = 1.0

    public private(set) var enabled = false
    public private(set) var fillRate = 0.0
    public private(set) var maxCapacity = 0.0
    public private(set) var currentCapacity = 0.0
    public private(set) var measuredTxRate = 0.0
    public private(set) var lastMaxRate = 0.0
    public private(set) var lastThrottleTime: Double
    var lastTimestamp: Double?
    var lastTxRateBucket: Double
    var requestCount = 0.0
    var timeWindow = 0.0

    public init(now: Double) {
        lastThrottleTime = now
        lastTxRateBucket = (now * 2).rounded(.down) / 2
    }

    /// Tries to take one send token. Returns zero when it was taken (or the limiter is off),
    /// otherwise how long until one should be there; then nothing is taken and the caller asks
    /// again after waiting, so a rate that recovers meanwhile is seen at once.
    public mutating func acquire(now: Double, cost: Double = 1) -> Double {
        guard enabled else { return 0 }
        refill(now: now)
        if cost <= currentCapacity {
            currentCapacity -= cost
            return 0
        }
        return (cost - currentCapacity) / fillRate
    }

    /// Records a response.
    public mutating func update(throttled: Bool, now: Double) {
        updateMeasuredRate(now: now)
        let calculated: Double
        if throttled {
            let rateToUse = enabled ? min(measuredTxRate, fillRate) : measuredTxRate
            lastMaxRate = rateToUse
            calculateTimeWindow()
            lastThrottleTime = now
            calculated = rateToUse * Self.beta
            enable(now: now)
        } else {
            calculateTimeWindow()
            calculated = cubicSuccess(now: now)
        }
        let newRate = min(calculated, 2 * measuredTxRate)
        updateBucket(newRate: newRate, now: now)
    }

    /// The rate the limiter lets requests through at, per second (`nil` while disabled).
    public var sendRate: Double? { enabled ? fillRate : nil }

    mutating func refill(now: Double) {
        guard let last = lastTimestamp else {
            lastTimestamp = now
            return
        }
        let fill = max(0, now - last) * fillRate
        currentCapacity = min(maxCapacity, currentCapacity + fill)
        lastTimestamp = now
    }

    mutating func enable(now: Double) {
        if !enabled { lastTimestamp = now }
        enabled = true
    }

    mutating func updateBucket(newRate: Double, now: Double) {
        refill(now: now)
        fillRate = max(newRate, Self.minFillRate)
        maxCapacity = max(newRate, Self.minCapacity)
        currentCapacity = min(currentCapacity, maxCapacity)
    }

    mutating func calculateTimeWindow() {
        timeWindow = cbrt(lastMaxRate * (1 - Self.beta) / Self.scaleConstant)
    }

    func cubicSuccess(now: Double) -> Double {
        let delta = now - lastThrottleTime - timeWindow
        return Self.scaleConstant * delta * delta * delta + lastMaxRate
    }

    mutating func updateMeasuredRate(now: Double) {
        let bucket = (now * 2).rounded(.down) / 2
        requestCount += 1
        if bucket > lastTxRateBucket {
            let currentRate = requestCount / (bucket - lastTxRateBucket)
            measuredTxRate = currentRate * Self.smoothing + measuredTxRate * (1 - Self.smoothing)
            requestCount = 0
            lastTxRateBucket = bucket
        }
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension AdaptiveRateLimiter {
    /// Sets the CUBIC state directly (for known-answer tests of the curve).
    mutating func setCubicState(lastMaxRate: Double, lastThrottleTime: Double) {
        self.lastMaxRate = lastMaxRate
        self.lastThrottleTime = lastThrottleTime
    }
}
