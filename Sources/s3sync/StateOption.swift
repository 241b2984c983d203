import ArgumentParser
import Foundation

/// Where the state database is: `--state`, else `S3SYNC_STATE`, else
/// `$XDG_STATE_HOME/s3sync/state.db`, else `~/.local/state/s3sync/state.db`.
struct StateOption: ParsableArguments {
    @Option(help: "Path of the state database (or S3SYNC_STATE; default ~/.local/state/s3sync/state.db).")
    var state: String?

    var path: String { state ?? Self.defaultPath(environment: ProcessInfo.processInfo.environment) }

    static func defaultPath(environment: [String: String]) -> String {
        if let path = environment["S3SYNC_STATE"], !path.isEmpty { return path }
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/s3sync/state.db" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/state/s3sync/state.db"
    }
}
