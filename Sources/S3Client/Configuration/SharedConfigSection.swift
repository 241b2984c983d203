/// One section of the shared config files: a profile, an `sso-session` or a `services` block.
///
/// Values are kept as written, trimmed. A property written with an empty value and indented lines
/// under it, such as
///
/// ```ini
/// s3 =
///   endpoint_url = http://127.0.0.1:9000
///   addressing_style = path
/// ```
///
/// is a group of sub-properties: `subProperties["s3"]["endpoint_url"]`.
public struct SharedConfigSection: Sendable, Hashable {
    /// The name without the `profile ` / `services ` / `sso-session ` prefix.
    public var name: String
    public var properties: [String: String]
    public var subProperties: [String: [String: String]]

    public init(name: String, properties: [String: String] = [:], subProperties: [String: [String: String]] = [:]) {
        self.name = name
        self.properties = properties
        self.subProperties = subProperties
    }

    /// The value of a property, or `nil` when it is missing or blank.
    public subscript(_ key: String) -> String? {
        guard let value = properties[key], !value.isEmpty else { return nil }
        return value
    }

    /// The value of a sub-property (`s3 =` then `  endpoint_url = ...`), or `nil` when missing or blank.
    public func subProperty(_ group: String, _ key: String) -> String? {
        guard let value = subProperties[group]?[key], !value.isEmpty else { return nil }
        return value
    }

    /// Adds the other section's properties, replacing those with the same name.
    mutating func merge(_ other: SharedConfigSection) {
        for (key, value) in other.properties {
            properties[key] = value
            subProperties[key] = nil
        }
        for (key, value) in other.subProperties {
            subProperties[key] = value
        }
    }
}
