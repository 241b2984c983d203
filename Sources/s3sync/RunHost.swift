import Dispatch
import Foundation
import SyncEngine
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a command's work as a child task and turns SIGINT/SIGTERM into cancellation, so the
/// engine stops taking work and checkpoints. A second signal, or no exit within 15 seconds,
/// ends the process at once (every state change is already a committed transaction).
enum RunHost {
    /// The signal that interrupted the run, if any.
    final class Interruption: Sendable {
        let signal = Mutex<Int32?>(nil)
    }

    static func run<Result: Sendable>(_ work: @escaping @Sendable () async throws -> Result) async throws -> (
        Result, Int32?
    ) {
        let interruption = Interruption()
        let task = Task { try await work() }
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let first = interruption.signal.withLock { current -> Bool in
                    if current == nil {
                        current = number
                        return true
                    }
                    return false
                }
                if first {
                    let name = number == SIGINT ? "SIGINT" : "SIGTERM"
                    FileHandle.standardError.write(
                        Data("\r\u{1B}[2K\(name): stopping and saving progress (send it again to quit at once)\n".utf8))
                    task.cancel()
                    DispatchQueue.global().asyncAfter(deadline: .now() + 15) { exit(128 + number) }
                } else {
                    exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        defer { for source in sources { source.cancel() } }
        let result = try await task.value
        return (result, interruption.signal.withLock { $0 })
    }
}
