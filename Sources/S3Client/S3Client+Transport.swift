import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension S3Client {
    /// Sends a request, retrying per the configuration, and returns the 2xx response (with the
    /// record of its attempts).
    func perform(_ request: S3Request) async throws -> S3Response {
        let (outcome, _) = await exchange(request)
        return try outcome.get()
    }

    /// Sends a request, retrying per the configuration: the outcome, and what the attempts were.
    /// Each attempt is classified (``FailureClass``), the pure ``AttemptPolicy`` picks the next
    /// step, and the shared ``RetryCoordinator`` paces and budgets the retries.
    func exchange(_ request: S3Request) async -> (Result<S3Response, any Error>, AttemptRecord) {
        let coordinator = shared.retry
        let policy = AttemptPolicy(maxAttempts: configuration.retry.maxAttempts)
        var record = AttemptRecord()
        while true {
            var sentAt = coordinator.currentTime
            do {
                try Task.checkCancellation()
                try await coordinator.waitForSendToken()
                coordinator.recordAttempt(isRetry: record.retries > 0)
                record.attempts += 1
                sentAt = coordinator.currentTime
                var response = try await sendOnce(request)
                coordinator.recordResponse(throttled: false, sentAt: sentAt)
                coordinator.recordSuccess(lastRetryCost: record.lastRetryCost)
                response.attempts = record
                return (.success(response), record)
            } catch {
                if Task.isCancelled {
                    return (.failure(S3ClientError(.cancelled, "cancelled", operation: request.operation)), record)
                }
                let failure = FailureClass.classify(error)
                if error is S3ServiceError {
                    coordinator.recordResponse(throttled: failure == .throttling, sentAt: sentAt)
                }
                let action = policy.next(
                    after: failure, serverTime: (error as? S3ServiceError)?.serverDate.flatMap(Timestamp.parse),
                    now: Date().timeIntervalSince1970, record: record)
                do {
                    try await carryOut(action, after: error, failure: failure, request: request, record: &record)
                } catch {
                    return (.failure(error), record)
                }
            }
        }
    }

    /// Does what the policy chose after a failed attempt, or throws the error that ends the request.
    private func carryOut(
        _ action: AttemptPolicy.Action, after error: any Error, failure: FailureClass, request: S3Request,
        record: inout AttemptRecord
    ) async throws {
        switch action {
        case .redirect(let region):
            guard let bucket = request.bucket else { throw error }
            record.followedRedirect = true
            shared.bucketRegions.withLock { $0[bucket] = region }
            logger.info(
                "bucket is in another region; re-signing", metadata: ["bucket": "\(bucket)", "region": "\(region)"])
        case .correctClock(let skew):
            record.correctedClock = true
            shared.clockSkewSeconds.withLock { $0 = skew }
            logger.warning("clock skew corrected", metadata: ["skew_seconds": "\(Int(skew))"])
        case .refreshCredentials:
            record.refreshedCredentials = true
            shared.credentials.invalidate()
        case .backOff(let failure):
            if failure != .throttling { record.outcomeUnknown = true }
            record.retries += 1
            guard
                let (delay, cost) = shared.retry.retryDelay(
                    retry: record.retries - 1, failure: failure, serverHint: Self.retryAfter(error))
            else {
                throw Self.exhausted(error, attempts: record.retries, operation: request.operation, quotaEmpty: true)
            }
            record.lastRetryCost = cost
            logger.debug(
                "retrying",
                metadata: [
                    "operation": "\(request.operation)", "attempt": "\(record.retries + 1)",
                    "delay_ms": "\(Int(delay.seconds * 1000))", "error": "\(error)",
                ])
            try await Task.sleep(for: delay)
        case .giveUp:
            if failure != .throttling { record.outcomeUnknown = true }
            throw Self.exhausted(error, attempts: record.retries + 1, operation: request.operation)
        case .fail:
            throw error
        }
    }

    static func exhausted(_ error: any Error, attempts: Int, operation: String, quotaEmpty: Bool = false)
        -> any Error
    {
        let why =
            quotaEmpty
            ? "the retry quota is exhausted (too many failures across requests)" : "gave up after \(attempts) attempts"
        if let client = error as? S3ClientError {
            return S3ClientError(client.kind, "\(client.message) (\(why))", operation: client.operation ?? operation)
        }
        if let service = error as? S3ServiceError {
            return S3ServiceError(
                code: service.code, message: service.message + " (\(why))", statusCode: service.statusCode,
                requestID: service.requestID, resource: service.resource, operation: service.operation,
                bucketRegion: service.bucketRegion, serverDate: service.serverDate)
        }
        return error
    }

    static func retryAfter(_ error: any Error) -> Duration? {
        guard let service = error as? S3ServiceError, let hint = service.retryAfterMilliseconds else { return nil }
        return .milliseconds(hint)
    }
}
