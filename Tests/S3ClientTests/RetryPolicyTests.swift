import Testing

@testable import S3Client

@Suite struct RetryPolicyTests {
    let configuration = RetryConfiguration()

    @Test func backoffDoublesFromTheBaseUpToTheCeiling() {
        func delay(_ retry: Int, throttled: Bool = false, random: Double = 1) -> Double {
            RetryBackoff.delay(retry: retry, throttled: throttled, random: random, configuration: configuration).seconds
        }
        #expect(delay(0) == 0.05)
        #expect(delay(1) == 0.1)
        #expect(delay(2) == 0.2)
        #expect(delay(9) == 20)
        #expect(delay(30) == 20)
        #expect(delay(0, throttled: true) == 1)
        #expect(delay(3, throttled: true) == 8)
        #expect(delay(5, throttled: true) == 20)
        #expect(delay(3, throttled: true, random: 0.25) == 2)
        #expect(delay(3, random: 0) == 0)
    }

    @Test func serverHintIsClampedToTheComputedDelayPlusFiveSeconds() {
        func delay(hint: Duration) -> Double {
            RetryBackoff.delay(retry: 1, throttled: true, random: 0.5, serverHint: hint, configuration: configuration)
                .seconds
        }
        #expect(delay(hint: .milliseconds(10)) == 1)
        #expect(delay(hint: .milliseconds(3500)) == 3.5)
        #expect(delay(hint: .seconds(60)) == 6)
    }

    @Test func quotaChargesRetriesAndRefundsSuccesses() {
        var quota = RetryQuota(capacity: 500)
        #expect(quota.acquire(isTimeout: false) == 5)
        #expect(quota.available == 495)
        #expect(quota.acquire(isTimeout: true) == 10)
        #expect(quota.available == 485)
        quota.recordSuccess(refund: 10)
        #expect(quota.available == 495)
        quota.recordSuccess(refund: nil)
        #expect(quota.available == 496)
        quota.recordSuccess(refund: 10)
        #expect(quota.available == 500)
    }

    @Test func emptyQuotaRefusesRetries() {
        var quota = RetryQuota(capacity: 25)
        #expect(quota.acquire(isTimeout: true) == 10)
        #expect(quota.acquire(isTimeout: true) == 10)
        #expect(quota.acquire(isTimeout: true) == nil)
        #expect(quota.acquire(isTimeout: false) == 5)
        #expect(quota.acquire(isTimeout: false) == nil)
        #expect(quota.available == 0)
    }

    /// The AWS SDKs' shared CUBIC vectors (lastMaxRate 10, last throttle at 5 s).
    @Test func cubicCurveMatchesTheSDKVectors() {
        var limiter = AdaptiveRateLimiter(now: 5)
        limiter.setCubicState(lastMaxRate: 10, lastThrottleTime: 5)
        let expected: [(Double, Double)] = [
            (5, 7.0), (6, 9.64893600966), (7, 10.000030849917364), (8, 10.453284520772092),
            (9, 13.408697022224185), (10, 21.26626835427364), (11, 36.425998516920465),
        ]
        for (time, rate) in expected {
            limiter.calculateTimeWindow()
            #expect(abs(limiter.cubicSuccess(now: time) - rate) < 0.001)
        }
    }

    /// The SDKs' end-to-end vector: measured send rate and fill rate after each response.
    @Test func limiterRatesFollowTheSDKEndToEndVector() {
        var limiter = AdaptiveRateLimiter(now: 0)
        let steps: [(time: Double, throttled: Bool, measured: Double, fill: Double)] = [
            (0.2, false, 0.0, 0.5), (0.4, false, 0.0, 0.5), (0.6, false, 4.8, 0.5), (0.8, false, 4.8, 0.5),
            (1.0, false, 4.16, 0.5), (1.2, false, 4.16, 0.6912), (1.4, false, 4.16, 1.0976),
            (1.6, false, 5.632, 1.6384), (1.8, false, 5.632, 2.3328), (2.0, true, 4.3264, 3.02848),
            (2.2, false, 4.3264, 3.486639),
        ]
        for step in steps {
            limiter.update(throttled: step.throttled, now: step.time)
            #expect(abs(limiter.measuredTxRate - step.measured) < 0.001, "measured at \(step.time)")
            #expect(abs(limiter.fillRate - step.fill) < 0.001, "fill at \(step.time)")
        }
        #expect(limiter.enabled)
    }

    @Test func limiterIsOffUntilTheFirstThrottleAndThenPacesSends() {
        var limiter = AdaptiveRateLimiter(now: 0)
        for index in 0..<100 { #expect(limiter.acquire(now: Double(index) * 0.01) == 0) }
        for index in 0..<40 { limiter.update(throttled: false, now: Double(index) * 0.05) }
        limiter.update(throttled: true, now: 2.0)
        let rate = limiter.sendRate!
        #expect(rate > 0.5)
        // A burst at one instant empties the bucket; then a send waits, and takes nothing until
        // the time it was told to wait has passed.
        var sent = 0
        while limiter.acquire(now: 2.0) == 0 { sent += 1 }
        #expect(sent <= Int(limiter.maxCapacity) + 1)
        let wait = limiter.acquire(now: 2.0)
        #expect(wait > 0)
        #expect(limiter.acquire(now: 2.0) == wait)
        #expect(limiter.acquire(now: 2.0 + wait + 1e-9) == 0)
    }

    @Test func throttlingLowersTheSharedRateAndSuccessesRestoreIt() {
        var limiter = AdaptiveRateLimiter(now: 0)
        var time = 0.0
        for _ in 0..<200 {
            time += 0.01
            limiter.update(throttled: false, now: time)
        }
        limiter.update(throttled: true, now: time)
        let afterFirst = limiter.fillRate
        time += 0.01
        limiter.update(throttled: true, now: time)
        let afterSecond = limiter.fillRate
        #expect(afterSecond < afterFirst)
        for _ in 0..<1000 {
            time += 0.01
            limiter.update(throttled: false, now: time)
        }
        #expect(limiter.fillRate > afterFirst)
    }

    @Test func failuresAreClassified() {
        func service(_ code: String, _ status: Int, region: String? = nil) -> S3ServiceError {
            S3ServiceError(code: code, message: "", statusCode: status, operation: "Op", bucketRegion: region)
        }
        #expect(FailureClass.classify(service("SlowDown", 503)) == .throttling)
        #expect(FailureClass.classify(service("InternalError", 500)) == .transient)
        #expect(FailureClass.classify(service("RequestTimeout", 400)) == .transient)
        #expect(FailureClass.classify(service("SignatureDoesNotMatch", 403)) == .permanent)
        #expect(FailureClass.classify(service("NoSuchBucket", 404)) == .permanent)
        #expect(FailureClass.classify(service("BadDigest", 400)) == .permanent)
        #expect(FailureClass.classify(service("RequestTimeTooSkewed", 403)) == .clockSkew)
        #expect(FailureClass.classify(service("ExpiredToken", 400)) == .expiredToken)
        #expect(
            FailureClass.classify(service("PermanentRedirect", 301, region: "eu-west-1")) == .wrongRegion("eu-west-1"))
        #expect(FailureClass.classify(S3ClientError(.connection, "reset")) == .connection)
        #expect(FailureClass.classify(S3ClientError(.timeout, "slow")) == .connection)
        #expect(FailureClass.classify(S3ClientError(.tls, "bad cert")) == .permanent)
        #expect(FailureClass.classify(S3ClientError(.localFile, "gone")) == .permanent)
    }

    @Test func coordinatorCountsRetriesAndBackoff() {
        let coordinator = RetryCoordinator(configuration: configuration, now: { 0 }, random: { 0.5 })
        coordinator.recordAttempt(isRetry: false)
        let first = coordinator.retryDelay(retry: 0, failure: .throttling, serverHint: nil)
        #expect(first?.delay == .milliseconds(500))
        #expect(first?.cost == 5)
        coordinator.recordAttempt(isRetry: true)
        coordinator.recordSuccess(lastRetryCost: 5)
        let statistics = coordinator.statistics
        #expect(statistics.attempts == 2)
        #expect(statistics.retries == 1)
        #expect(statistics.backoffSeconds == 0.5)
        #expect(coordinator.quotaAvailable == 500)
    }
}

extension RetryPolicyTests {
    @Test func aBurstOfThrottlesFromRequestsInFlightTogetherCutsTheRateOnce() {
        final class Clock: @unchecked Sendable {
            var time = 0.0
        }
        let clock = Clock()
        let coordinator = RetryCoordinator(configuration: RetryConfiguration(), now: { clock.time }, random: { 0.5 })
        for _ in 0..<100 {
            clock.time += 0.01
            coordinator.recordResponse(throttled: false, sentAt: clock.time - 0.005)
        }
        // 32 requests sent together at t = 1.0, all throttled as they come back.
        clock.time = 1.05
        coordinator.recordResponse(throttled: true, sentAt: 1.0)
        let afterFirst = coordinator.sendRate!
        for _ in 0..<31 {
            clock.time += 0.001
            coordinator.recordResponse(throttled: true, sentAt: 1.0)
        }
        #expect(coordinator.sendRate! >= afterFirst * 0.99)
        // A request sent after the cut and throttled again is a new event: the rate drops again.
        clock.time = 1.2
        coordinator.recordResponse(throttled: true, sentAt: 1.1)
        #expect(coordinator.sendRate! < afterFirst * 0.8)
        #expect(coordinator.statistics.throttles == 33)
    }
}
