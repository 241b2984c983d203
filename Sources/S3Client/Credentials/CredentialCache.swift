import Foundation
import Synchronization

/// Caches what a provider returns and refreshes temporary credentials before they expire, one
/// refresh at a time however many requests ask at once.
///
/// Credentials are refreshed from 5 minutes before their expiration (advisory: a failed refresh
/// keeps the old ones while they are still valid for at least another minute, and is not tried
/// again for 30 seconds, so an unreachable source does not slow every request); credentials
/// without expiration are kept for the life of the cache.
public final class CredentialCache: Sendable {
    static let advisoryWindow: TimeInterval = 5 * 60
    static let mandatoryWindow: TimeInterval = 60
    static let retryAfterFailedRefresh: TimeInterval = 30

    private struct State {
        var cached: AWSCredentials?
        var refreshing: Task<AWSCredentials, any Error>?
        var failedRefreshAt: Date?
    }

    public let provider: any CredentialProvider
    let now: @Sendable () -> Date
    private let state = Mutex(State())

    public init(provider: any CredentialProvider, now: @escaping @Sendable () -> Date = { Date() }) {
        self.provider = provider
        self.now = now
    }

    /// Current credentials, loading or refreshing them when needed.
    public func credentials() async throws -> AWSCredentials {
        let time = now()
        enum Step {
            case ready(AWSCredentials)
            case wait(Task<AWSCredentials, any Error>, fallback: AWSCredentials?)
        }
        let step: Step = state.withLock { state in
            if let cached = state.cached {
                guard let expiration = cached.expiration else { return .ready(cached) }
                let remaining = expiration.timeIntervalSince(time)
                if remaining > Self.advisoryWindow { return .ready(cached) }
                if remaining > Self.mandatoryWindow, let failed = state.failedRefreshAt,
                    time.timeIntervalSince(failed) < Self.retryAfterFailedRefresh
                {
                    return .ready(cached)
                }
                let task = state.refreshing ?? self.startRefresh(&state)
                return .wait(task, fallback: remaining > Self.mandatoryWindow ? cached : nil)
            }
            return .wait(state.refreshing ?? self.startRefresh(&state), fallback: nil)
        }
        switch step {
        case .ready(let credentials):
            return credentials
        case .wait(let task, let fallback):
            do {
                return try await task.value
            } catch {
                if let fallback { return fallback }
                throw error
            }
        }
    }

    /// Forgets the cached credentials, e.g. after the service said the token expired.
    public func invalidate() {
        state.withLock {
            $0.cached = nil
            $0.failedRefreshAt = nil
        }
    }

    private func startRefresh(_ state: inout State) -> Task<AWSCredentials, any Error> {
        let provider = self.provider
        let task = Task<AWSCredentials, any Error> { [weak self] in
            defer { self?.state.withLock { $0.refreshing = nil } }
            do {
                guard let credentials = try await provider.loadCredentials() else {
                    throw S3ClientError(.credentials, "\(provider.name) returned no credentials")
                }
                self?.state.withLock {
                    $0.cached = credentials
                    $0.failedRefreshAt = nil
                }
                return credentials
            } catch {
                let time = self?.now()
                self?.state.withLock { $0.failedRefreshAt = time }
                throw error
            }
        }
        state.refreshing = task
        return task
    }
}
