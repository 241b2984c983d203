import Foundation
import Synchronization
import Testing

@testable import S3Client

/// The cache in front of every provider: single flight, refresh before expiry, advisory failures.
@Suite struct CredentialCacheTests {
    /// A provider that counts loads and hands out `KEY1`, `KEY2`, ... expiring `lifetime` after the
    /// injected clock's now; it fails while `failing` is set.
    final class CountingProvider: CredentialProvider {
        struct State {
            var loads = 0
            var failing = false
        }

        let state = Mutex(State())
        let clock: TestClock
        let lifetime: TimeInterval?
        let delay: Duration
        var name: String { "counting test provider" }

        init(clock: TestClock, lifetime: TimeInterval?, delay: Duration = .zero) {
            self.clock = clock
            self.lifetime = lifetime
            self.delay = delay
        }

        var loads: Int { state.withLock { $0.loads } }
        func setFailing(_ failing: Bool) { state.withLock { $0.failing = failing } }

        func loadCredentials() async throws -> AWSCredentials? {
            if delay > .zero { try await Task.sleep(for: delay) }
            let (serial, failing) = state.withLock { state in
                state.loads += 1
                return (state.loads, state.failing)
            }
            if failing { throw S3ClientError(.credentials, "the source is down") }
            return AWSCredentials(
                accessKeyID: "KEY\(serial)", secretAccessKey: "secret",
                expiration: lifetime.map { clock.now.addingTimeInterval($0) })
        }
    }

    final class TestClock: Sendable {
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        private let offset = Mutex<TimeInterval>(0)
        var now: Date { start.addingTimeInterval(offset.withLock { $0 }) }
        func set(minutes: Double) { offset.withLock { $0 = minutes * 60 } }
        var function: @Sendable () -> Date { { self.now } }
    }

    @Test func concurrentCallersShareOneLoad() async throws {
        let clock = TestClock()
        let provider = CountingProvider(clock: clock, lifetime: 3600, delay: .milliseconds(100))
        let cache = CredentialCache(provider: provider, now: clock.function)
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<64 { group.addTask { try await cache.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["KEY1"])
        #expect(provider.loads == 1)
    }

    @Test func concurrentCallersInsideTheRefreshWindowShareOneRefresh() async throws {
        let clock = TestClock()
        let provider = CountingProvider(clock: clock, lifetime: 15 * 60, delay: .milliseconds(50))
        let cache = CredentialCache(provider: provider, now: clock.function)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        clock.set(minutes: 11)
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try await cache.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["KEY2"])
        #expect(provider.loads == 2)
    }

    @Test func expiringCredentialsAreRefreshedFiveMinutesEarly() async throws {
        let clock = TestClock()
        let provider = CountingProvider(clock: clock, lifetime: 15 * 60)
        let cache = CredentialCache(provider: provider, now: clock.function)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        clock.set(minutes: 9)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        clock.set(minutes: 10.5)
        #expect(try await cache.credentials().accessKeyID == "KEY2")
        clock.set(minutes: 20)
        #expect(try await cache.credentials().accessKeyID == "KEY2")
        #expect(provider.loads == 2)
    }

    @Test func aFailedAdvisoryRefreshKeepsTheOldCredentials() async throws {
        let clock = TestClock()
        let provider = CountingProvider(clock: clock, lifetime: 15 * 60)
        let cache = CredentialCache(provider: provider, now: clock.function)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        provider.setFailing(true)
        clock.set(minutes: 11)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        #expect(provider.loads == 2)
        // Not tried again for 30 seconds after a failure...
        clock.set(minutes: 11.25)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        #expect(provider.loads == 2)
        // ...then tried again, still keeping the old credentials.
        clock.set(minutes: 11.75)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        #expect(provider.loads == 3)
        // Inside the last minute the old credentials are not good enough.
        clock.set(minutes: 14.5)
        await #expect(throws: S3ClientError.self) { try await cache.credentials() }
        provider.setFailing(false)
        #expect(try await cache.credentials().accessKeyID == "KEY5")
    }

    @Test func credentialsWithoutExpirationLoadOnce() async throws {
        let clock = TestClock()
        let provider = CountingProvider(clock: clock, lifetime: nil)
        let cache = CredentialCache(provider: provider, now: clock.function)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        clock.set(minutes: 60 * 24 * 30)
        #expect(try await cache.credentials().accessKeyID == "KEY1")
        #expect(provider.loads == 1)
        cache.invalidate()
        #expect(try await cache.credentials().accessKeyID == "KEY2")
    }

    @Test func aProviderWithNothingIsAnErrorNamingIt() async throws {
        let cache = CredentialCache(provider: CredentialProviderChain([]))
        let error = await #expect(throws: S3ClientError.self) { try await cache.credentials() }
        #expect(error?.kind == .credentials)
    }
}
