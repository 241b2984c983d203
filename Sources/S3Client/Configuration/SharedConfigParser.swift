/// Parses the AWS shared config files (`~/.aws/config`, `~/.aws/credentials`) from their
/// contents, following the rules the AWS SDKs share:
///
/// - `#` and `;` start a comment at the beginning of a line, after a section header, and inside
///   a value when whitespace precedes them (`region = eu-west-1 # Ireland`).
/// - In the config file, `[default]`, `[profile NAME]`, `[sso-session NAME]` and `[services NAME]`
///   are sections; a bare `[NAME]` is ignored. `[profile default]` replaces `[default]` when both
///   exist.
/// - In the credentials file, every section `[NAME]` is a profile; `[profile NAME]` is ignored.
/// - A property with an empty value followed by indented `key = value` lines holds
///   sub-properties (`s3 =` / `  endpoint_url = ...`); an indented line after a non-empty value
///   continues it.
/// - A section that appears twice merges, later values winning.
/// - Property names are case-insensitive (stored lowercased, as the AWS CLI reads them); profile
///   names and values are kept as written.
///
/// Malformed lines are errors that name the file and line but never echo the line, which could
/// hold a secret.
public enum SharedConfigParser {
    public enum FileKind: Sendable {
        /// `~/.aws/config`.
        case config
        /// `~/.aws/credentials`.
        case credentials
    }

    /// Parses both files and merges the credentials file over the config file.
    /// - Parameters:
    ///   - configSource: how to name the config file in messages.
    ///   - credentialsSource: how to name the credentials file in messages.
    /// - Throws: ``S3ClientError`` (configuration) naming the file and line of a malformed line.
    public static func parse(
        config: String, credentials: String, configSource: String = "~/.aws/config",
        credentialsSource: String = "~/.aws/credentials"
    ) throws(S3ClientError) -> SharedConfiguration {
        let configFile = try parse(config, kind: .config, source: configSource)
        let credentialsFile = try parse(credentials, kind: .credentials, source: credentialsSource)
        return configFile.merging(credentialsFile)
    }

    /// Parses one file.
    /// - Parameter source: how to name the file in messages, e.g. `~/.aws/config`.
    /// - Throws: ``S3ClientError`` (configuration) naming the file and line of a malformed line.
    public static func parse(_ contents: String, kind: FileKind, source: String) throws(S3ClientError)
        -> SharedConfiguration
    {
        var reader = SharedConfigReader(kind: kind, source: source)
        // "\r\n" is one Character in Swift, so split on both forms.
        for rawLine in contents.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            try reader.read(line)
        }
        return reader.finish()
    }

    /// `profile  name` → (`profile`, `name`); `name` → (nil, `name`).
    static func splitHeader(_ header: Substring) -> (prefix: String?, name: String) {
        guard let space = header.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (nil, String(header)) }
        return (String(header[..<space]), String(trim(header[space...])))
    }

    /// Profile names are identifiers: no whitespace, not empty.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains(where: { $0.isWhitespace })
    }

    static func trim(_ text: Substring) -> Substring {
        var slice = text
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }

    /// Cuts a `#` or `;` comment that follows whitespace.
    static func stripComment(_ value: Substring) -> Substring {
        var previous: Character = "x"
        for index in value.indices {
            let character = value[index]
            if (character == "#" || character == ";") && (previous == " " || previous == "\t") {
                return trim(value[..<index])
            }
            previous = character
        }
        return value
    }
}
