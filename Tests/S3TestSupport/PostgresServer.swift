import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL cluster on loopback for tests: `initdb` into a temporary directory, the
/// server on a free port, one fresh database per test from ``makeDatabase()``.
///
/// One cluster serves the whole test process (``shared()``). It never outlives that process: at a
/// normal exit the server is told to shut down at once, and a watchdog process started with it
/// stops it and removes its directory as soon as the test process is gone, also after `kill -9`.
///
/// The server runs in the foreground as a child of the test process rather than through
/// `pg_ctl start`: Foundation's `Process` sees a child as running while any descendant keeps a
/// descriptor it inherited, so a server left behind by `pg_ctl` would keep `pg_ctl` "running".
///
/// ```swift
/// let postgres = try await PostgresServer.shared()
/// let url = try await postgres.makeDatabase()  // postgresql://postgres@127.0.0.1:PORT/s3sync_…
/// #expect(try postgres.psql("SELECT count(*) FROM tasks", database: url) == "0")
/// ```
public struct PostgresServer: StoppableService {
    /// The superuser the cluster is made with, and the one every URL names.
    public static let user = "postgres"

    public let port: Int
    /// Set for a cluster that requires password authentication (SCRAM-SHA-256).
    public let password: String?
    public let workDirectory: String
    let installation: Installation
    let watchdog: ChildProcess
    let postmaster: ServerProcess

    public var dataDirectory: String { workDirectory + "/data" }
    /// The server's log since its last start.
    public var log: String { postmaster.process.log }

    /// The cluster shared by every test of this process, started by the first call.
    ///
    /// Restarting or stopping it affects every test using it at the same time; a test that needs
    /// that alone starts its own cluster with ``start(password:)``.
    public static func shared() async throws -> PostgresServer {
        let starting = sharedCluster.withLock { cluster in
            if let cluster { return cluster }
            let task = Task { try await start() }
            cluster = task
            return task
        }
        return try await starting.value
    }

    /// Starts a cluster of its own, runs `body`, stops the cluster.
    public static func with<Result: Sendable>(
        password: String? = nil, _ body: (PostgresServer) async throws -> Result
    ) async throws -> Result {
        try await start(password: password).serving(body)
    }

    /// Starts a cluster of its own, stopped with ``stop()`` or when the test process exits.
    /// - Parameter password: makes the cluster require this password (SCRAM-SHA-256) from
    ///   ``user``, on TCP and on the socket; `nil` trusts every local connection.
    /// - Throws: when PostgreSQL is not installed (run scripts/install-test-deps.sh), or with the
    ///   server's log when it does not start.
    public static func start(password: String? = nil) async throws -> PostgresServer {
        let installation = try Installation.locate()
        let work = try TestEnvironment.makeTemporaryDirectory("postgres")
        let watchdog: ChildProcess
        do {
            try installation.handOver(work)
            watchdog = try installation.startWatchdog(dataDirectory: work + "/data", workDirectory: work)
        } catch {
            TestEnvironment.removeTree(work)
            throw error
        }
        do {
            try await installation.initializeCluster(in: work, password: password)
            var lastError: (any Error)?
            for _ in 0..<5 {
                let port = try TestEnvironment.freePort()
                do {
                    let process = try await installation.startPostmaster(work: work, port: port, generation: 0)
                    let server = PostgresServer(
                        port: port, password: password, workDirectory: work, installation: installation,
                        watchdog: watchdog, postmaster: ServerProcess(process))
                    server.stopAtExit()
                    return server
                } catch let error as PortInUse {
                    lastError = error
                }
            }
            throw lastError ?? TestSupportError("PostgreSQL did not start")
        } catch {
            await watchdog.stop()
            TestEnvironment.removeTree(work)
            throw error
        }
    }

    /// The URL of a database of this cluster, with the password when there is one.
    public func url(database: String) -> String {
        var credentials = Self.user
        if let password {
            credentials += ":" + (password.addingPercentEncoding(withAllowedCharacters: .urlPasswordAllowed) ?? "")
        }
        return "postgresql://\(credentials)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Creates an empty database with a name of its own and returns its URL.
    public func makeDatabase() async throws -> String {
        let name = "s3sync_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let invocation = psqlInvocation("CREATE DATABASE \(name)", database: "postgres")
        let result = try await Shell.run(
            invocation.executable, invocation.arguments, environment: invocation.environment, timeout: .seconds(60))
        guard result.status == 0 else {
            throw TestSupportError("CREATE DATABASE \(name) failed: \(result.errorOutput)")
        }
        return url(database: name)
    }

    /// Runs `sql` with `psql -At` and returns its output without the final newline: one row a line,
    /// columns separated by `|`. Blocks until psql exits, so keep it to short statements.
    /// - Parameter database: a database name, or a URL from ``makeDatabase()``.
    /// - Throws: with psql's error output when the statement fails.
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        let invocation = psqlInvocation(sql, database: database)
        let directory = try TestEnvironment.makeTemporaryDirectory("psql")
        defer { TestEnvironment.removeTree(directory) }
        let outPath = directory + "/out"
        let errPath = directory + "/err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: invocation.executable)
        process.arguments = invocation.arguments
        process.environment = invocation.environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else {
            let errorOutput = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            throw TestSupportError("psql failed on \(sql): \(errorOutput)")
        }
        return output.hasSuffix("\n") ? String(output.dropLast()) : output
    }

    /// Restarts the server on the same port and data (`pg_ctl stop -m fast`, then a new server):
    /// open connections are closed, as when PostgreSQL restarts under a running job. Returns once
    /// it accepts connections again.
    public func restart() async throws {
        if postmaster.process.isRunning { try await pgCtl(["stop", "-m", "fast"]) }
        _ = await postmaster.process.wait(timeout: .seconds(10))
        let generation = postmaster.nextGeneration()
        var lastError: (any Error)?
        // Another process may take the port in the meantime; it is given a few seconds to let go.
        for _ in 0..<20 {
            do {
                postmaster.process = try await installation.startPostmaster(
                    work: workDirectory, port: port, generation: generation)
                stopAtExit()
                return
            } catch let error as PortInUse {
                lastError = error
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        throw lastError ?? TestSupportError("PostgreSQL did not restart on port \(port)")
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`) and removes its directory.
    public func stop() async {
        await watchdog.stop()
        if (try? await pgCtl(["stop", "-m", "immediate"])) == nil { await postmaster.process.stop() }
        _ = await postmaster.process.wait(timeout: .seconds(10))
        postmastersToStopAtExit.withLock { _ = $0.removeValue(forKey: dataDirectory) }
        TestEnvironment.removeTree(workDirectory)
    }

    /// Runs `pg_ctl` on this cluster's data directory, waiting for the operation to complete.
    /// Only for operations that start no server (see the type's comment).
    private func pgCtl(_ arguments: [String]) async throws {
        let invocation = installation.invocation(
            installation.pgCtl, ["-D", dataDirectory, "-w", "-t", "60"] + arguments)
        let result = try await Shell.run(
            invocation.executable, invocation.arguments, currentDirectory: workDirectory, timeout: .seconds(90))
        guard result.status == 0 else {
            throw TestSupportError(
                "pg_ctl \(arguments.joined(separator: " ")) failed on port \(port):\n"
                    + "\(result.output)\(result.errorOutput)\n\(log)")
        }
    }

    /// Notes the server's process (from `postmaster.pid`) to be shut down when the test process exits.
    private func stopAtExit() {
        let pidFile = (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)) ?? ""
        guard let line = pidFile.split(separator: "\n").first, let pid = Int32(line) else { return }
        _ = stopPostmastersAtExit
        postmastersToStopAtExit.withLock { $0[dataDirectory] = pid }
    }

    private func psqlInvocation(_ sql: String, database: String)
        -> (executable: String, arguments: [String], environment: [String: String])
    {
        // A URL from makeDatabase() names the database as its path.
        let name =
            database.contains("://")
            ? URLComponents(string: database).map { String($0.path.dropFirst()) } ?? database : database
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["PGCONNECT_TIMEOUT"] = "10"
        environment["PGSSLMODE"] = "disable"
        if let password { environment["PGPASSWORD"] = password }
        let arguments = [
            "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port), "-U", Self.user,
            "-d", name, "-c", sql,
        ]
        return (installation.psql, arguments, environment)
    }
}

extension PostgresServer {
    /// The binaries of the newest PostgreSQL under /usr/lib/postgresql, and how to run them:
    /// PostgreSQL refuses to run as root, so a root test process runs them as the `postgres` user.
    struct Installation: Sendable {
        let binDirectory: String
        /// `runuser -u postgres --` when the test process runs as root.
        let runAsPrefix: [String]

        var initdb: String { binDirectory + "/initdb" }
        var pgCtl: String { binDirectory + "/pg_ctl" }
        var postgres: String { binDirectory + "/postgres" }
        var psql: String { client("psql") }
        var pgIsReady: String { client("pg_isready") }

        /// A client tool: the one beside the server, else the one in /usr/bin.
        private func client(_ name: String) -> String {
            let own = binDirectory + "/" + name
            return FileManager.default.isExecutableFile(atPath: own) ? own : "/usr/bin/" + name
        }

        static func locate() throws -> Installation {
            let root = "/usr/lib/postgresql"
            let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
                .sorted { $0.compare($1, options: .numeric) == .orderedDescending }
            let tools = ["initdb", "pg_ctl", "postgres"]
            let complete = { (bin: String) in
                tools.allSatisfy { FileManager.default.isExecutableFile(atPath: bin + "/" + $0) }
            }
            guard let binDirectory = versions.map({ "\(root)/\($0)/bin" }).first(where: complete) else {
                throw TestSupportError(
                    "PostgreSQL is not installed (no \(root)/*/bin/initdb): run scripts/install-test-deps.sh "
                        + "(scripts/test.sh does)")
            }
            guard geteuid() == 0 else { return Installation(binDirectory: binDirectory, runAsPrefix: []) }
            guard getpwnam(PostgresServer.user) != nil else {
                throw TestSupportError(
                    "running as root, PostgreSQL needs the \(PostgresServer.user) system user: "
                        + "run scripts/install-test-deps.sh (the postgresql package creates it)")
            }
            let runuser = ["/usr/sbin/runuser", "/sbin/runuser"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            }
            guard let runuser else { throw TestSupportError("running as root, runuser (util-linux) is needed") }
            return Installation(binDirectory: binDirectory, runAsPrefix: [runuser, "-u", PostgresServer.user, "--"])
        }

        /// The command line that runs `tool` as the user the cluster belongs to.
        func invocation(_ tool: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
            guard let runuser = runAsPrefix.first else { return (tool, arguments) }
            return (runuser, Array(runAsPrefix.dropFirst()) + [tool] + arguments)
        }

        /// Gives `path` to the `postgres` user when the cluster runs as that user.
        func handOver(_ path: String) throws {
            guard !runAsPrefix.isEmpty, let account = getpwnam(PostgresServer.user) else { return }
            guard chown(path, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw TestSupportError("chown \(path) to \(PostgresServer.user) failed: errno \(errno)")
            }
        }

        /// `initdb` into `work/data`, then the settings every start uses: loopback only, the
        /// socket in `work`, and no durability (a test cluster is thrown away, never recovered).
        func initializeCluster(in work: String, password: String?) async throws {
            var arguments = ["-D", work + "/data", "-U", PostgresServer.user, "--no-sync", "--no-locale", "-E", "UTF8"]
            let passwordFile = work + "/password"
            if let password {
                guard
                    FileManager.default.createFile(
                        atPath: passwordFile, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600])
                else {
                    throw TestSupportError("could not write \(passwordFile)")
                }
                try handOver(passwordFile)
                arguments += ["-A", "scram-sha-256", "--pwfile", passwordFile]
            } else {
                arguments += ["-A", "trust"]
            }
            let invocation = invocation(initdb, arguments)
            let result = try await Shell.run(
                invocation.executable, invocation.arguments, currentDirectory: work, timeout: .seconds(120))
            TestEnvironment.removeTree(passwordFile)
            guard result.status == 0 else {
                throw TestSupportError("initdb failed in \(work):\n\(result.output)\(result.errorOutput)")
            }
            let quotedWork = work.replacingOccurrences(of: "'", with: "''")
            let settings = """

                listen_addresses = '127.0.0.1'
                unix_socket_directories = '\(quotedWork)'
                max_connections = 200
                fsync = off
                synchronous_commit = off
                full_page_writes = off

                """
            let configuration = try FileHandle(forWritingTo: URL(fileURLWithPath: work + "/data/postgresql.conf"))
            defer { try? configuration.close() }
            try configuration.seekToEnd()
            try configuration.write(contentsOf: Data(settings.utf8))
        }

        /// Starts the server in the foreground on `port` and waits until it accepts connections.
        /// - Parameter generation: 0 for the first start; restarts log to `postgres-N.log`.
        /// - Throws: ``PortInUse`` when another process holds the port, else with the server's log.
        func startPostmaster(work: String, port: Int, generation: Int) async throws -> ChildProcess {
            let logPath = work + (generation == 0 ? "/postgres.log" : "/postgres-\(generation).log")
            let command = invocation(postgres, ["-D", work + "/data", "-p", String(port)])
            let process = try ChildProcess(
                executable: command.executable, arguments: command.arguments, logPath: logPath,
                currentDirectory: work)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                guard process.isRunning else {
                    let log = process.log
                    if log.contains("Address already in use") { throw PortInUse(port: port) }
                    throw TestSupportError("PostgreSQL did not start on port \(port):\n\(log)")
                }
                // pg_isready: 0 accepting, 1 still starting, 2 no answer yet.
                let ready = try await Shell.run(
                    pgIsReady, ["-q", "-h", "127.0.0.1", "-p", String(port), "-t", "5"], timeout: .seconds(10))
                if ready.status == 0 { return process }
                try await Task.sleep(for: .milliseconds(50))
            }
            await process.stop()
            throw TestSupportError("PostgreSQL did not accept connections on port \(port) within 60 s:\n\(process.log)")
        }

        /// A process that outlives a killed test process: it polls the test process and, once that
        /// is gone, stops the cluster (`pg_ctl stop -m immediate`) and removes `workDirectory`.
        func startWatchdog(dataDirectory: String, workDirectory: String) throws -> ChildProcess {
            let script = """
                parent=$1 data=$2 work=$3
                shift 3
                while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
                "$@" stop -D "$data" -m immediate -w >/dev/null 2>&1
                rm -rf "$work"
                """
            return try ChildProcess(
                executable: "/bin/sh",
                arguments: ["-c", script, "postgres-watchdog", String(getpid()), dataDirectory, workDirectory]
                    + runAsPrefix + [pgCtl],
                logPath: workDirectory + "/watchdog.log", currentDirectory: workDirectory)
        }
    }

    /// The server could not listen because another process took the port first.
    struct PortInUse: Error, CustomStringConvertible {
        let port: Int
        var description: String { "port \(port) was taken before PostgreSQL could listen on it" }
    }
}

private let sharedCluster = Mutex<Task<PostgresServer, any Error>?>(nil)

/// The postmaster of each running cluster, by data directory, told to shut down at exit.
private let postmastersToStopAtExit = Mutex<[String: Int32]>([:])

private let stopPostmastersAtExit: Void = {
    // SIGQUIT is PostgreSQL's immediate shutdown; the watchdog then removes the directory.
    atexit {
        for pid in postmastersToStopAtExit.withLock({ Array($0.values) }) { kill(pid, SIGQUIT) }
    }
}()
