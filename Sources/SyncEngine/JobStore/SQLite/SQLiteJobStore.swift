import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The state database: jobs, their tasks, multipart uploads with their finished parts, and the
/// index of uploaded objects. One SQLite file in WAL mode, created `0600` in a `0700` directory;
/// it holds no secrets.
///
/// ```swift
/// let store = try JobStore(path: JobStore.defaultPath(environment: env))
/// let job = try await store.createJob(record)
/// ```
public struct SQLiteJobStore: JobStore {
    /// `PRAGMA application_id` of s3sync state files ("S3SY").
    static let applicationID: Int32 = 0x5333_5359

    let writer: any DatabaseWriter
    public let path: String

    /// Opens (creating if needed) the state database at `path`.
    /// - Parameter trace: called with every statement the store runs (to count or log them).
    /// - Throws: ``SyncError`` (configuration) when the directory cannot be created or written, the
    ///   file is not an s3sync state database, or it is corrupt. The file is never replaced.
    public init(path: String, trace: (@Sendable (String) -> Void)? = nil) throws(SyncError) {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw SyncError(
                .configuration,
                "cannot create the state directory \(directory): \(Self.reason(error))",
                subject: .stateDatabase(path: path))
        }
        if !FileManager.default.fileExists(atPath: path) {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if fd < 0 && errno != EEXIST {
                let code = errno
                throw SyncError(
                    .configuration,
                    "cannot create the state database \(path): \(String(cString: strerror(code)))",
                    subject: .stateDatabase(path: path))
            }
            if fd >= 0 { close(fd) }
        } else if access(path, R_OK | W_OK) != 0 {
            let code = errno
            throw SyncError(
                .configuration,
                "cannot open the state database \(path) for writing: \(String(cString: strerror(code)))",
                subject: .stateDatabase(path: path))
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.label = "s3sync.state"
        configuration.prepareDatabase { db in
            if let trace { db.trace { trace($0.expandedDescription) } }
            // Before the pool switches the file to WAL mode and writes to it: a file of another
            // program, or a damaged one (checked once, on the writer's connection), is refused
            // without a single write, not found out halfway through a run.
            try Self.checkOwnership(db, path: path)
            if !db.configuration.readonly {
                let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(3)")
                guard problems == ["ok"] else {
                    throw SyncError(
                        .configuration,
                        "the state file \(path) cannot be used: the database is corrupt (\(problems.joined(separator: "; "))). It was left untouched; move it aside",
                        subject: .stateDatabase(path: path))
                }
            }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrate(pool, path: path)
            self.writer = pool
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(
                .configuration,
                "the state file \(path) cannot be used: \(Self.reason(error)). It was left untouched; move it aside",
                subject: .stateDatabase(path: path))
        }
        self.path = path
    }

    /// An in-memory store, for tests.
    public static func inMemory() throws -> SQLiteJobStore {
        try SQLiteJobStore(writer: DatabaseQueue())
    }

    init(writer: any DatabaseWriter) throws {
        try Self.migrate(writer, path: ":memory:")
        self.writer = writer
        self.path = ":memory:"
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB: return "it is not an SQLite database (or is encrypted or corrupt)"
            case .SQLITE_CORRUPT: return "the database is corrupt (\(error.message ?? ""))"
            case .SQLITE_FULL: return "the disk is full"
            case .SQLITE_READONLY: return "it is read-only"
            case .SQLITE_CANTOPEN:
                return "it cannot be opened (\(error.message ?? "check the directory's permissions"))"
            case .SQLITE_IOERR: return "I/O error (\(error.message ?? ""))"
            default: return error.message ?? "\(error)"
            }
        }
        if let error = error as? CocoaError, let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }

    /// `INSERT INTO table (columns…) VALUES (?, …)`, for a cached statement that writes many rows
    /// of a batch with positional arguments in the order of `columns`.
    static func insertSQL(into table: any TableRecord.Type, _ columns: [Column], orReplace: Bool = false) -> String {
        let names = columns.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT \(orReplace ? "OR REPLACE " : "")INTO \(table.databaseTableName.quotedDatabaseIdentifier) "
            + "(\(names)) VALUES (\(placeholders))"
    }

    /// Throws when the database is another program's: an application id that is not ours, or
    /// tables without s3sync's migrations.
    static func checkOwnership(_ db: Database, path: String) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        if applicationID == 0 && !tables.isEmpty && !tables.contains("grdb_migrations") {
            throw SyncError(
                .configuration,
                "the state file \(path) is an SQLite database of another program (tables: \(tables.prefix(5).joined(separator: ", "))). It was left untouched",
                subject: .stateDatabase(path: path))
        }
        if applicationID != 0 && applicationID != applicationID_ {
            throw SyncError(
                .configuration,
                "the state file \(path) belongs to another program (application id \(applicationID)). It was left untouched",
                subject: .stateDatabase(path: path))
        }
    }
}

private let applicationID_ = SQLiteJobStore.applicationID
