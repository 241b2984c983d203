import ArgumentParser
import Foundation
import SyncEngine

/// The options push and pull share: what is compared, deleted and filtered, and how the copy runs.
struct TransferOptions: ParsableArguments {
    @Flag(
        help:
            "Also delete what the destination has that the source does not: objects under the prefix (push), files under the directory (pull); only after a clean pass."
    )
    var delete = false

    @Option(name: .customLong("max-delete"), help: "Refuse to run if it would delete more than N objects or files.")
    var maxDelete: Int?

    @Flag(name: .customLong("dry-run"), help: "Print what would be copied and deleted; change nothing.")
    var dryRun = false

    @Option(help: "Skip paths matching GLOB (*, ?, [...], **); repeatable, the last matching rule wins.")
    var exclude: [String] = []

    @Option(help: "Take paths matching GLOB even if an earlier --exclude matched; repeatable.")
    var include: [String] = []

    @Flag(help: "Compare content (MD5 / multipart ETag) instead of size and modification time.")
    var checksum = false

    @Flag(name: .customLong("size-only"), help: "Compare sizes only.")
    var sizeOnly = false

    @Option(
        help: ArgumentHelp(
            "Requests in flight at once, files, parts and listings together: auto, or a number from 1 to 1024.",
            discussion:
                "auto starts at 32 and finds its own level: it grows while throughput rises and backs off when it stops rising or the store throttles."
        ))
    var concurrency: ConcurrencyArgument = .auto

    @Option(
        name: .customLong("part-size"),
        help: "Multipart part size (push) or range size (pull), e.g. 8MiB (grown to fit 10,000 parts).")
    var partSize: String = "8MiB"

    @Option(
        name: .customLong("multipart-threshold"),
        help: "Files at least this large are copied in parts (ranges, for a pull), e.g. 8MiB.")
    var multipartThreshold: String = "8MiB"

    @Option(help: "Limit bandwidth, bytes per second, e.g. 10MiB.")
    var bwlimit: String?

    @OptionGroup var metrics: MetricsOption

    @Option(
        name: .customLong("sse-c-key-file"),
        help: "A file holding the SSE-C key (32 bytes raw, hex or base64), sent with every upload and download.")
    var sseCKeyFile: String?

    /// The order filters were given in, which decides which rule wins.
    var orderedFilters: [FilterRule] {
        var rules: [(Int, FilterRule)] = []
        let arguments = CommandLine.arguments
        var excludeIndex = 0
        var includeIndex = 0
        for (position, argument) in arguments.enumerated() {
            if argument == "--exclude" || argument.hasPrefix("--exclude="), excludeIndex < exclude.count {
                rules.append((position, FilterRule(.exclude, exclude[excludeIndex])))
                excludeIndex += 1
            } else if argument == "--include" || argument.hasPrefix("--include="), includeIndex < include.count {
                rules.append((position, FilterRule(.include, include[includeIndex])))
                includeIndex += 1
            }
        }
        // Anything not found on the command line (tests calling the parser directly) keeps flag order.
        rules += exclude[excludeIndex...].map { (Int.max, FilterRule(.exclude, $0)) }
        rules += include[includeIndex...].map { (Int.max, FilterRule(.include, $0)) }
        return rules.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func validate() throws {
        if checksum && sizeOnly { throw ValidationError("--checksum and --size-only cannot be used together") }
        if let maxDelete, maxDelete < 0 { throw ValidationError("--max-delete must be 0 or more") }
        guard let part = ByteCount.parse(partSize) else {
            throw ValidationError("--part-size '\(partSize)' is not a size (examples: 8MiB, 64M, 1GiB)")
        }
        guard part >= 5 << 20, part <= 5 << 30 else {
            throw ValidationError("--part-size must be between 5MiB and 5GiB (S3's limits), got \(partSize)")
        }
        guard ByteCount.parse(multipartThreshold) != nil else {
            throw ValidationError("--multipart-threshold '\(multipartThreshold)' is not a size (examples: 8MiB, 64M)")
        }
        if let bwlimit {
            guard let rate = ByteCount.parse(bwlimit.replacingOccurrences(of: "/s", with: "")), rate > 0 else {
                throw ValidationError("--bwlimit '\(bwlimit)' is not a rate (examples: 10MiB, 500K)")
            }
        }
    }

    var options: SyncOptions {
        var options = SyncOptions()
        options.compare = checksum ? .checksum : (sizeOnly ? .sizeOnly : .sizeAndTime)
        options.delete = delete
        options.maxDelete = maxDelete
        options.dryRun = dryRun
        options.filters = orderedFilters
        concurrency.apply(to: &options)
        options.partSize = ByteCount.parse(partSize) ?? 8 << 20
        options.multipartThreshold = ByteCount.parse(multipartThreshold) ?? 8 << 20
        options.bandwidthLimit = bwlimit.flatMap { ByteCount.parse($0.replacingOccurrences(of: "/s", with: "")) }
        options.customerKeyFile = sseCKeyFile.map { Self.absolute($0) }
        return options
    }

    /// A path made absolute, so a later `resume` from another directory finds the same file.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
