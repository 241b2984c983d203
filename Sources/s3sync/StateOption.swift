import ArgumentParser
import Foundation
import Logging
import SyncEngine

/// Where jobs live: a shared queue in PostgreSQL (`--queue`, else `S3SYNC_QUEUE`), or the state
/// database: `--state`, else `S3SYNC_STATE`, else `$XDG_STATE_HOME/s3sync/state.db`, else
/// `~/.local/state/s3sync/state.db`.
struct StateOption: ParsableArguments {
    @Option(help: "Path of the state database (or S3SYNC_STATE; default ~/.local/state/s3sync/state.db).")
    var state: String?

    @Option(
        help: ArgumentHelp(
            "A job queue shared by several hosts: postgresql://USER@HOST:PORT/DB (or S3SYNC_QUEUE).",
            discussion:
                "What the URL leaves out comes from PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE and the password from PGPASSWORD or ~/.pgpass."
        ))
    var queue: String?

    /// The shared queue's URL, if one is named.
    var queueURL: String? {
        if let queue { return queue }
        if let url = ProcessInfo.processInfo.environment["S3SYNC_QUEUE"], !url.isEmpty { return url }
        return nil
    }

    /// Opens the job store (the shared queue when one is named, else the state database) for `body`.
    func withStore<T: Sendable>(logger: Logger, _ body: (any JobStore) async throws -> T) async throws -> T {
        if let url = queueURL {
            let location = try PostgresLocation(url: url, environment: ProcessInfo.processInfo.environment)
            return try await PostgresJobStore.withStore(location, logger: logger) { try await body($0) }
        }
        // At the trace level, every statement of the state database is logged.
        var trace: (@Sendable (String) -> Void)?
        if logger.logLevel <= .trace {
            trace = { statement in logger.trace("sql", metadata: ["statement": "\(statement)"]) }
        }
        return try await body(try SQLiteJobStore(path: path, trace: trace))
    }

    var path: String { state ?? Self.defaultPath(environment: ProcessInfo.processInfo.environment) }

    static func defaultPath(environment: [String: String]) -> String {
        if let path = environment["S3SYNC_STATE"], !path.isEmpty { return path }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/s3sync/state.db" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/s3sync/state.db"
    }
}
