import Synchronization

/// A test server's current process, replaced when the server restarts (``S3TestServer/restart()``,
/// ``PostgresServer/restart()``), with a count of the restarts so far.
final class ServerProcess: Sendable {
    private let slot: Mutex<ChildProcess>
    private let generations = Mutex(0)

    init(_ process: ChildProcess) { slot = Mutex(process) }

    /// The number of the next process (1 for the first restart).
    func nextGeneration() -> Int {
        generations.withLock {
            $0 += 1
            return $0
        }
    }

    var process: ChildProcess {
        get { slot.withLock { $0 } }
        set { slot.withLock { $0 = newValue } }
    }
}
