import ArgumentParser
import SyncEngine

/// `--concurrency auto` (the budget finds its own level) or `--concurrency N` (pinned).
enum ConcurrencyArgument: ExpressibleByArgument, Equatable, CustomStringConvertible {
    case auto
    case fixed(Int)

    static let range = 1...1024

    init?(argument: String) {
        if argument.lowercased() == "auto" {
            self = .auto
        } else if let count = Int(argument), Self.range.contains(count) {
            self = .fixed(count)
        } else {
            return nil
        }
    }

    var description: String {
        switch self {
        case .auto: return "auto"
        case .fixed(let count): return "\(count)"
        }
    }

    static var defaultValueDescription: String { "auto" }

    /// Sets the options' budget: pinned, or adaptive from where the options start it.
    func apply(to options: inout SyncOptions) {
        switch self {
        case .auto:
            // From where `auto` always starts, whatever a job was pinned at.
            if !options.adaptiveConcurrency { options.concurrency = SyncOptions().concurrency }
            options.adaptiveConcurrency = true
        case .fixed(let count):
            options.adaptiveConcurrency = false
            options.concurrency = count
        }
    }
}
