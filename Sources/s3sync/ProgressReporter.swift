import Foundation
import S3Client
import SyncEngine
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Shows a run's progress on stderr: a live bar on a terminal, a plain line every so often in a
/// log (cron), nothing but errors with `--quiet`. Failures are always shown; with `--verbose`
/// every upload and delete too. `--dry-run` decisions go to stdout (stderr with `--json`).
final class ProgressReporter: SyncObserver {
    enum Mode: Sendable, Hashable {
        case terminal
        case log(intervalSeconds: Double)
        case quiet
    }

    struct State {
        var barVisible = false
        var lastDraw = 0.0
        var lastLog = 0.0
        var lastSent: Int64 = 0
        var lastSample = 0.0
        var rate = 0.0
    }

    let mode: Mode
    let verbose: Bool
    let dryRunToStdout: Bool
    let started: Double
    private let state = Mutex(State())

    init(mode: Mode, verbose: Bool = false, dryRunToStdout: Bool = true) {
        self.mode = mode
        self.verbose = verbose
        self.dryRunToStdout = dryRunToStdout
        let now = Self.now()
        self.started = now
        state.withLock {
            $0.lastSample = now
            $0.lastLog = now
        }
    }

    /// Terminal mode when stderr is a terminal, log lines every `interval` seconds otherwise.
    static func automatic(quiet: Bool, verbose: Bool, logInterval: Double = 10, dryRunToStdout: Bool = true)
        -> ProgressReporter
    {
        let mode: Mode = quiet ? .quiet : (isatty(2) == 1 ? .terminal : .log(intervalSeconds: logInterval))
        return ProgressReporter(mode: mode, verbose: verbose, dryRunToStdout: dryRunToStdout)
    }

    func handle(_ event: SyncEvent) {
        switch event {
        case .wouldUpload(let path, let key, let size, let reason):
            emit("(dry run) upload \(path) → \(key) (\(ByteCount.format(size)), \(reason))", toStdout: dryRunToStdout)
        case .wouldDelete(let key):
            emit("(dry run) delete \(key)", toStdout: dryRunToStdout)
        case .wouldDownload(let key, let path, let size, let reason):
            emit("(dry run) download \(key) → \(path) (\(ByteCount.format(size)), \(reason))", toStdout: dryRunToStdout)
        case .wouldRemove(let path):
            emit("(dry run) remove \(path)", toStdout: dryRunToStdout)
        case .uploaded(let path, _, let size):
            if verbose && mode != .quiet { message("uploaded \(path) (\(ByteCount.format(size)))") }
        case .downloaded(_, let path, let size):
            if verbose && mode != .quiet { message("downloaded \(path) (\(ByteCount.format(size)))") }
        case .deleted(let key):
            if verbose && mode != .quiet { message("deleted \(key)") }
        case .removed(let path):
            if verbose && mode != .quiet { message("removed \(path)") }
        case .warning(let path, let reason):
            if mode != .quiet { message("warning: \(path): \(reason)") }
        case .failed(let path, let reason):
            message("error: \(path): \(reason)")
        case .notice(let text):
            if mode != .quiet { message(text) }
        }
    }

    func tick(_ progress: TransferProgress.Snapshot) {
        let now = Self.now()
        switch mode {
        case .quiet:
            return
        case .terminal:
            let line: String? = state.withLock { state in
                sample(&state, progress, now)
                guard now - state.lastDraw >= 0.1 else { return nil }
                state.lastDraw = now
                state.barVisible = true
                return bar(progress, rate: state.rate, now: now)
            }
            if let line { Self.write("\r\u{1B}[2K" + line, fd: 2) }
        case .log(let interval):
            let line: String? = state.withLock { state in
                sample(&state, progress, now)
                guard now - state.lastLog >= interval else { return nil }
                state.lastLog = now
                return logLine(progress, rate: state.rate, now: now)
            }
            if let line { Self.write(line + "\n", fd: 2) }
        }
    }

    func finish(_ progress: TransferProgress.Snapshot) {
        let wasVisible = state.withLock { state in
            defer { state.barVisible = false }
            return state.barVisible
        }
        if wasVisible { Self.write("\r\u{1B}[2K", fd: 2) }
    }

    /// Prints a line on stderr above the bar; control characters in it (a newline in a file name,
    /// say) are shown escaped, so one message is one line and cannot drive the terminal.
    func message(_ text: String) {
        let clear = state.withLock { state in
            defer { state.barVisible = false }
            return state.barVisible
        }
        Self.write((clear ? "\r\u{1B}[2K" : "") + text.singleLine + "\n", fd: 2)
    }

    func emit(_ text: String, toStdout: Bool) {
        if toStdout { Self.write(text.singleLine + "\n", fd: 1) } else { message(text) }
    }

    func sample(_ state: inout State, _ progress: TransferProgress.Snapshot, _ now: Double) {
        let elapsed = now - state.lastSample
        guard elapsed >= 0.5 else { return }
        let instant = Double((progress.sentBytes + progress.receivedBytes) - state.lastSent) / elapsed
        state.rate = state.rate == 0 ? instant : state.rate * 0.6 + instant * 0.4
        state.lastSent = (progress.sentBytes + progress.receivedBytes)
        state.lastSample = now
    }

    func bar(_ progress: TransferProgress.Snapshot, rate: Double, now: Double) -> String {
        let doneFiles =
            progress.transferredFiles + progress.failedFiles + progress.changedFiles + progress.vanishedFiles
        let total = max(progress.plannedFiles, doneFiles)
        let fraction =
            progress.plannedBytes > 0
            ? min(1, Double(progress.bytesDone) / Double(progress.plannedBytes))
            : (total > 0 ? Double(doneFiles) / Double(total) : 0)
        let width = 24
        let filled = Int(fraction * Double(width))
        let barText =
            String(repeating: "=", count: filled) + (filled < width ? ">" : "")
            + String(repeating: " ", count: max(0, width - filled - 1))
        var line =
            "[\(barText)] \(doneFiles)/\(total) files  \(ByteCount.format(progress.bytesDone))/\(ByteCount.format(progress.plannedBytes))"
        line += "  \(ByteCount.format(Int64(rate)))/s"
        if rate > 0 && progress.plannedBytes > progress.bytesDone {
            line += "  ETA " + Self.duration(Double(progress.plannedBytes - progress.bytesDone) / rate)
        }
        if progress.failedFiles > 0 { line += "  \(progress.failedFiles) failed" }
        if progress.phase != "uploading" && progress.phase != "downloading" { line += "  (\(progress.phase))" }
        return line
    }

    func logLine(_ progress: TransferProgress.Snapshot, rate: Double, now: Double) -> String {
        let doneFiles =
            progress.transferredFiles + progress.failedFiles + progress.changedFiles + progress.vanishedFiles
        var line = "\(Self.timestamp()) progress: \(progress.phase), \(doneFiles)/\(progress.plannedFiles) files, "
        line += "\(ByteCount.format(progress.bytesDone))/\(ByteCount.format(progress.plannedBytes)), "
        line +=
            "\(ByteCount.format(Int64(rate)))/s, \(progress.failedFiles) failed, elapsed \(Self.duration(now - started))"
        return line
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let total = Int(seconds.rounded())
        if total >= 3600 { return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60) }
        return String(format: "%d:%02d", total / 60, total % 60)
    }

    static func timestamp() -> String {
        Timestamp.iso8601(secondsSince1970: Int(Date().timeIntervalSince1970))
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func write(_ text: String, fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
