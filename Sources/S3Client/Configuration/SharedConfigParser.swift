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
        enum Target {
            case profile(String)
            case bareDefault
            case ssoSession(String)
            case services(String)
            case ignored
        }
        var result = SharedConfiguration()
        var bareDefault: SharedConfigSection?
        var target = Target.ignored
        var section: SharedConfigSection?
        // The property that indented lines continue, and whether it collects sub-properties.
        var openProperty: (key: String, isGroup: Bool)?

        func store() {
            guard let current = section else { return }
            func add(_ into: inout [String: SharedConfigSection]) {
                if into[current.name] == nil {
                    into[current.name] = current
                } else {
                    into[current.name]!.merge(current)
                }
            }
            switch target {
            case .profile: add(&result.profiles)
            case .ssoSession: add(&result.ssoSessions)
            case .services: add(&result.services)
            case .bareDefault:
                if bareDefault == nil { bareDefault = current } else { bareDefault!.merge(current) }
            case .ignored: break
            }
            section = nil
        }

        func error(_ line: Int, _ problem: String) -> S3ClientError {
            S3ClientError(.configuration, "\(source) line \(line): \(problem)")
        }

        var lineNumber = 0
        // "\r\n" is one Character in Swift, so split on both forms.
        for rawLine in contents.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = trim(line)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            let indented = line.first.map { $0 == " " || $0 == "\t" } ?? false

            if indented, let property = openProperty, section != nil {
                if property.isGroup {
                    guard let equals = trimmed.firstIndex(of: "=") else {
                        throw error(
                            lineNumber, "expected 'name = value' under '\(property.key) =' (the line has no '=')")
                    }
                    let key = String(trim(trimmed[..<equals])).lowercased()
                    guard !key.isEmpty else { throw error(lineNumber, "a property name is missing before '='") }
                    let value = String(stripComment(trim(trimmed[trimmed.index(after: equals)...])))
                    section!.subProperties[property.key, default: [:]][key] = value
                } else {
                    let value = String(stripComment(trimmed))
                    section!.properties[property.key, default: ""] += "\n" + value
                }
                continue
            }

            if trimmed.hasPrefix("[") {
                store()
                openProperty = nil
                guard let close = trimmed.firstIndex(of: "]") else {
                    throw error(lineNumber, "a section header must end with ']'")
                }
                let rest = trim(trimmed[trimmed.index(after: close)...])
                guard rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix(";") else {
                    throw error(lineNumber, "unexpected text after the section header's ']'")
                }
                let header = trim(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
                let (prefix, name) = splitHeader(header)
                func named(_ make: (String) -> Target) -> Target {
                    if isValidName(name) { return make(name) }
                    result.warnings.append("\(source) line \(lineNumber): section [\(header)] ignored: invalid name")
                    return .ignored
                }
                switch (kind, prefix) {
                case (.config, nil) where header == "default":
                    target = .bareDefault
                case (.config, "profile"?):
                    target = named { .profile($0) }
                case (.config, "sso-session"?):
                    target = named { .ssoSession($0) }
                case (.config, "services"?):
                    target = named { .services($0) }
                case (.config, _):
                    target = .ignored
                    result.warnings.append(
                        "\(source) line \(lineNumber): section [\(header)] ignored; in the config file a profile is written [profile \(header)]"
                    )
                case (.credentials, "profile"?):
                    target = .ignored
                    result.warnings.append(
                        "\(source) line \(lineNumber): section [\(header)] ignored; in the credentials file a profile is written [\(name)]"
                    )
                case (.credentials, nil):
                    target = named { .profile($0) }
                case (.credentials, _):
                    target = .ignored
                    result.warnings.append("\(source) line \(lineNumber): section [\(header)] ignored: invalid name")
                }
                switch target {
                case .profile(let name), .ssoSession(let name), .services(let name):
                    section = SharedConfigSection(name: name)
                case .bareDefault:
                    section = SharedConfigSection(name: "default")
                case .ignored:
                    section = SharedConfigSection(name: "")
                }
                continue
            }

            guard section != nil else {
                throw error(lineNumber, "a property must follow a section header such as [default]")
            }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw error(lineNumber, "expected 'name = value' (the line has no '=')")
            }
            let key = String(trim(trimmed[..<equals])).lowercased()
            guard !key.isEmpty else { throw error(lineNumber, "a property name is missing before '='") }
            let value = String(stripComment(trim(trimmed[trimmed.index(after: equals)...])))
            section!.properties[key] = value
            section!.subProperties[key] = nil
            openProperty = (key, value.isEmpty)
        }
        store()

        if let bareDefault {
            if result.profiles["default"] == nil {
                result.profiles["default"] = bareDefault
            } else {
                result.warnings.append("\(source): [default] ignored because [profile default] is also defined")
            }
        }
        return result
    }

    /// `profile  name` → (`profile`, `name`); `name` → (nil, `name`).
    private static func splitHeader(_ header: Substring) -> (prefix: String?, name: String) {
        guard let space = header.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (nil, String(header)) }
        return (String(header[..<space]), String(trim(header[space...])))
    }

    /// Profile names are identifiers: no whitespace, not empty.
    private static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.contains(where: { $0.isWhitespace })
    }

    private static func trim(_ text: Substring) -> Substring {
        var slice = text
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return slice
    }

    /// Cuts a `#` or `;` comment that follows whitespace.
    private static func stripComment(_ value: Substring) -> Substring {
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
