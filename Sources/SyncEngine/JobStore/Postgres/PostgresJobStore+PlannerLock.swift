import Crypto
import Foundation
import PostgresNIO
import S3Client

extension PostgresJobStore {
    /// Holds the planner's lock of a job identity while `body` runs: one planner per job across
    /// every host that shares the queue.
    ///
    /// The lock is a session-level advisory lock, so it lives on a connection of its own (not the
    /// pool's, whose connections serve any statement) that is closed after `body`. When that
    /// connection is lost (the server restarts, the network fails), the server releases the lock
    /// and another planner may start while this one still runs; the queue stays consistent, as
    /// claims do not depend on the lock, but both plan the job.
    /// - Throws: ``SyncError`` (locked) when another planner holds it, naming it when the server
    ///   says who; (configuration) when the server cannot be reached.
    public func withPlannerLock<T: Sendable>(
        identity: String, description: String, _ body: () async throws -> T
    ) async throws -> T? {
        let key = Self.plannerLockKey(identity: identity)
        let name = "s3sync pid \(getpid()) on \(ProcessInfo.processInfo.hostName)"
        let connection = try await location.connect(applicationName: String(name.prefix(63)), logger: logger)
        do {
            let taken = try await lockQuery(connection, "SELECT pg_try_advisory_lock(\(key)) AS taken").first
            guard try taken?.value("taken", as: Bool.self) == true else {
                var message =
                    "another s3sync planner is already working on \(description): it holds this job's lock in the job queue \(location)"
                if let holder = try? await holder(of: key, on: connection) { message += " (\(holder))" }
                message += "; wait for it to finish or stop it, then run again"
                throw SyncError(.locked, message)
            }
            let result = try await body()
            // A session the server ended (a restart) holds no lock any more, and answers nothing.
            if !connection.isClosed {
                _ = try? await lockQuery(connection, "SELECT pg_advisory_unlock(\(key))")
                try? await connection.close()
            }
            return result
        } catch {
            // Closing the session releases its lock.
            if !connection.isClosed { try? await connection.close() }
            throw error
        }
    }

    /// The advisory lock key of a job identity: the first 8 bytes of SHA-256 of
    /// `s3sync:IDENTITY`, the same on every host and in every version.
    static func plannerLockKey(identity: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Array("s3sync:\(identity)".utf8)))
        return Int64(bitPattern: digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Who holds an advisory lock, as the server shows the session: its application name (a
    /// planner's pid and host) and since when it is connected.
    func holder(of key: Int64, on connection: PostgresConnection) async throws -> String? {
        let bits = UInt64(bitPattern: key)
        let rows = try await lockQuery(
            connection,
            """
            SELECT activity.application_name AS name,
                extract(epoch FROM activity.backend_start)::double precision AS since
            FROM pg_locks AS lock JOIN pg_stat_activity AS activity ON activity.pid = lock.pid
            WHERE lock.locktype = 'advisory' AND lock.granted AND lock.objsubid = 1
            AND lock.classid::bigint = \(Int64(bits >> 32)) AND lock.objid::bigint = \(Int64(bits & 0xFFFF_FFFF))
            """)
        guard let row = rows.first else { return nil }
        var parts: [String] = []
        if let name = try row.value("name", as: String?.self), !name.isEmpty { parts.append(name) }
        if let since = try row.value("since", as: Double?.self) {
            parts.append("connected since \(Timestamp.iso8601(secondsSince1970: Int(since)))")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// Runs a statement on the lock's connection; its failures name the queue.
    func lockQuery(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        do {
            return try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        } catch {
            throw PostgresFailure(error).syncError(location: location)
        }
    }
}
