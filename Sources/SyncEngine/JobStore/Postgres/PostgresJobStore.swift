import Foundation
import Logging
import PostgresNIO

/// The job store shared by every host that works on the same jobs: one PostgreSQL database, with
/// the same tables as the SQLite state file, where hosts claim tasks for a lease
/// (`FOR UPDATE SKIP LOCKED`) on the server's clock.
///
/// A statement that fails because the connection dropped (a server that restarts) is run again
/// after a pause, up to about 30 seconds (``retryDelays``); the pool makes new connections as the
/// server comes back. An SQL error is not tried again.
///
/// ```swift
/// let location = try PostgresLocation(url: "postgresql://s3sync@db/jobs", environment: env)
/// try await PostgresJobStore.withStore(location, logger: logger) { store in
///     try await runner(store: store).run()
/// }
/// ```
public struct PostgresJobStore: JobStore {
    let client: PostgresClient
    let location: PostgresLocation
    let logger: Logger

    /// The pauses before each new attempt at a statement whose connection failed: 31.75 s in all,
    /// longer than a server takes to restart.
    static let retryDelays: [Duration] = [
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8),
        .seconds(8),
    ]

    /// Connects to the database at `location`, brings its schema up to date, and calls `body`
    /// with the store; the pool of connections runs while `body` does and is shut down after.
    /// - Throws: ``SyncError`` (configuration) when the server cannot be reached, refuses the
    ///   login or the TLS handshake fails ("cannot reach the job queue …"), or the database is
    ///   not one s3sync can use; whatever `body` throws.
    public static func withStore<T: Sendable>(
        _ location: PostgresLocation, logger: Logger, _ body: (PostgresJobStore) async throws -> T
    ) async throws -> T {
        let configuration = try location.clientConfiguration()
        // A connection of its own first: it says at once why the server cannot be reached (the
        // pool would keep trying), and the migrations run on it.
        let connection = try await location.connect(logger: logger)
        do {
            try await migrate(connection, location: location, logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            let store = PostgresJobStore(client: client, location: location, logger: logger)
            do {
                let result = try await body(store)
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    public var description: String { location.description }

    /// The store holds the planner's lock itself (``withPlannerLock(identity:description:_:)``).
    public var lockDirectory: String? { nil }

    // MARK: Statements

    /// Runs a statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await retrying {
            try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        }
    }

    /// Runs a statement that returns one row, or none.
    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    /// Runs `body` in a transaction on one connection of the pool, and all of it again when the
    /// connection failed.
    func transaction<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await retrying {
            try await client.withConnection { connection in
                try await Self.transaction(on: connection, logger: logger, body)
            }
        }
    }

    /// `BEGIN`, `body`, `COMMIT` on `connection`; `ROLLBACK` when `body` throws, whose error is
    /// the one thrown.
    static func transaction<T: Sendable>(
        on connection: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        do {
            let result = try await body(connection)
            try await connection.query("COMMIT", logger: logger)
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Runs `operation`, again after each of ``retryDelays`` while it fails for the connection;
    /// maps what it throws in the end to a ``SyncError`` that names the queue.
    func retrying<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await operation()
            } catch let error as SyncError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                try Task.checkCancellation()
                let failure = PostgresFailure(error)
                guard failure.isTransient, attempt < Self.retryDelays.count else {
                    throw failure.syncError(location: location)
                }
                logger.warning(
                    "the job queue failed, trying again",
                    metadata: [
                        "queue": "\(location)", "reason": "\(failure.reason)",
                        "attempt": "\(attempt + 1)",
                    ])
                try await Task.sleep(for: Self.retryDelays[attempt])
                attempt += 1
            }
        }
    }
}

extension PostgresJobStore {
    /// Runs statements one by one on a connection of its own, outside any transaction: what
    /// cannot run in one, such as `CREATE DATABASE` (tests make a database of their own with it).
    /// - Throws: ``SyncError`` (configuration) naming the queue.
    static func administer(_ location: PostgresLocation, _ statements: [String], logger: Logger) async throws {
        let connection = try await location.connect(logger: logger)
        for statement in statements {
            do {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            } catch {
                try? await connection.close()
                throw PostgresFailure(error).syncError(location: location)
            }
        }
        try? await connection.close()
    }
}
