/// Reads one shared config file line by line for ``SharedConfigParser``: which section a line
/// belongs to, which property indented lines continue, and what the file defined so far.
struct SharedConfigReader {
    /// Where the lines of the current section go.
    enum Target {
        case profile(String)
        case bareDefault
        case ssoSession(String)
        case services(String)
        case ignored
    }

    let kind: SharedConfigParser.FileKind
    let source: String
    private var result = SharedConfiguration()
    private var bareDefault: SharedConfigSection?
    private var target = Target.ignored
    private var section: SharedConfigSection?
    /// The property that indented lines continue, and whether it collects sub-properties.
    private var openProperty: (key: String, isGroup: Bool)?
    private var lineNumber = 0

    init(kind: SharedConfigParser.FileKind, source: String) {
        self.kind = kind
        self.source = source
    }

    /// Reads the next line (without its line ending).
    mutating func read(_ line: Substring) throws(S3ClientError) {
        lineNumber += 1
        let trimmed = SharedConfigParser.trim(line)
        if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { return }
        let indented = line.first.map { $0 == " " || $0 == "\t" } ?? false
        if indented, let property = openProperty, section != nil {
            try continueProperty(property, trimmed)
        } else if trimmed.hasPrefix("[") {
            try openSection(trimmed)
        } else {
            try addProperty(trimmed)
        }
    }

    /// What the file defines; `[default]` counts only where `[profile default]` is missing.
    mutating func finish() -> SharedConfiguration {
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

    private func error(_ problem: String) -> S3ClientError {
        S3ClientError(.configuration, "\(source) line \(lineNumber): \(problem)")
    }

    /// `name = value` split at the first `=`, the name lowercased, a trailing comment cut.
    private func keyAndValue(_ trimmed: Substring, missingEquals: String) throws(S3ClientError) -> (String, String) {
        guard let equals = trimmed.firstIndex(of: "=") else { throw error(missingEquals) }
        let key = String(SharedConfigParser.trim(trimmed[..<equals])).lowercased()
        guard !key.isEmpty else { throw error("a property name is missing before '='") }
        let value = SharedConfigParser.stripComment(SharedConfigParser.trim(trimmed[trimmed.index(after: equals)...]))
        return (key, String(value))
    }

    /// An indented line: a sub-property of a group, or the continuation of a value.
    private mutating func continueProperty(_ property: (key: String, isGroup: Bool), _ trimmed: Substring)
        throws(S3ClientError)
    {
        if property.isGroup {
            let (key, value) = try keyAndValue(
                trimmed, missingEquals: "expected 'name = value' under '\(property.key) =' (the line has no '=')")
            section!.subProperties[property.key, default: [:]][key] = value
        } else {
            section!.properties[property.key, default: ""] += "\n" + SharedConfigParser.stripComment(trimmed)
        }
    }

    private mutating func addProperty(_ trimmed: Substring) throws(S3ClientError) {
        guard section != nil else { throw error("a property must follow a section header such as [default]") }
        let (key, value) = try keyAndValue(trimmed, missingEquals: "expected 'name = value' (the line has no '=')")
        section!.properties[key] = value
        section!.subProperties[key] = nil
        openProperty = (key, value.isEmpty)
    }

    /// A `[...]` line: stores the section before it and starts the next.
    private mutating func openSection(_ trimmed: Substring) throws(S3ClientError) {
        store()
        openProperty = nil
        guard let close = trimmed.firstIndex(of: "]") else { throw error("a section header must end with ']'") }
        let rest = SharedConfigParser.trim(trimmed[trimmed.index(after: close)...])
        guard rest.isEmpty || rest.hasPrefix("#") || rest.hasPrefix(";") else {
            throw error("unexpected text after the section header's ']'")
        }
        let header = SharedConfigParser.trim(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        target = target(for: header)
        switch target {
        case .profile(let name), .ssoSession(let name), .services(let name):
            section = SharedConfigSection(name: name)
        case .bareDefault:
            section = SharedConfigSection(name: "default")
        case .ignored:
            section = SharedConfigSection(name: "")
        }
    }

    /// Which kind of section a header opens in this kind of file; warns about what is ignored.
    private mutating func target(for header: Substring) -> Target {
        let (prefix, name) = SharedConfigParser.splitHeader(header)
        let at = "\(source) line \(lineNumber): section [\(header)] ignored"
        func named(_ make: (String) -> Target) -> Target {
            if SharedConfigParser.isValidName(name) { return make(name) }
            result.warnings.append("\(at): invalid name")
            return .ignored
        }
        switch (kind, prefix) {
        case (.config, nil) where header == "default":
            return .bareDefault
        case (.config, "profile"?):
            return named { .profile($0) }
        case (.config, "sso-session"?):
            return named { .ssoSession($0) }
        case (.config, "services"?):
            return named { .services($0) }
        case (.config, _):
            result.warnings.append("\(at); in the config file a profile is written [profile \(header)]")
            return .ignored
        case (.credentials, "profile"?):
            result.warnings.append("\(at); in the credentials file a profile is written [\(name)]")
            return .ignored
        case (.credentials, nil):
            return named { .profile($0) }
        case (.credentials, _):
            result.warnings.append("\(at): invalid name")
            return .ignored
        }
    }

    /// Adds the section read so far to what the file defines; a section seen before merges.
    private mutating func store() {
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
}
