import ArgumentParser
import Foundation
import S3Client
import SyncEngine

/// Flags every command takes: where the store is, how to reach it, where state lives, how to report.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "S3 API endpoint, e.g. http://127.0.0.1:9000 (default: AWS).")
    var endpointURL: String?

    @Option(help: "Region to sign for (default: AWS_REGION, the profile's region, or us-east-1).")
    var region: String?

    @Option(help: "Profile from ~/.aws/config and ~/.aws/credentials.")
    var profile: String?

    @Option(name: .customLong("ca-bundle"), help: "PEM file of extra trusted CA certificates (or AWS_CA_BUNDLE).")
    var caBundle: String?

    @Flag(name: .customLong("no-verify-ssl"), help: "Do not verify TLS certificates (insecure; for testing only).")
    var noVerifySSL = false

    @OptionGroup var state: StateOption

    @Option(
        help: ArgumentHelp(
            "With --queue: how long this host's claims on tasks last without a heartbeat, e.g. 30s, 5m (default 60s).",
            valueName: "duration"))
    var lease: String?

    @Option(help: "Attempts per request, the first included (or AWS_MAX_ATTEMPTS; default 10).")
    var retries: Int?

    @Flag(help: "Print one JSON summary object on stdout at the end.")
    var json = false

    @Flag(name: [.short, .long], help: "Print only errors.")
    var quiet = false

    @Flag(name: [.short, .long], help: "Print every upload and delete, and more log detail.")
    var verbose = false

    func validate() throws {
        if let retries, retries < 1 { throw ValidationError("--retries must be at least 1") }
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
        if let lease {
            guard let seconds = TimeSpan.parse(lease), seconds >= 3 else {
                throw ValidationError("--lease '\(lease)' is not a duration of at least 3s (examples: 30s, 5m)")
            }
            guard state.queueURL != nil else {
                throw ValidationError("--lease applies to a shared queue: give --queue (or S3SYNC_QUEUE) too")
            }
        }
        if let endpointURL {
            do { _ = try S3Endpoint(url: endpointURL) } catch { throw ValidationError("\(error)") }
        }
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var statePath: String { state.path }

    /// This host in the shared queue, when one is named.
    func membership(role: String) -> QueueMembership? {
        guard state.queueURL != nil else { return nil }
        let seconds = lease.flatMap(TimeSpan.parse) ?? 60
        return QueueMembership(role: role, lease: .milliseconds(Int64(seconds * 1000)))
    }
}
