/// The profiles, `sso-session` and `services` sections of `~/.aws/config` with the profiles of
/// `~/.aws/credentials` merged over them.
///
/// Build one with ``SharedConfigParser`` from file contents, or ``SharedConfigFiles`` from disk.
public struct SharedConfiguration: Sendable, Hashable {
    /// Profiles by name (`default` for `[default]`).
    public var profiles: [String: SharedConfigSection]
    /// `[sso-session name]` sections by name.
    public var ssoSessions: [String: SharedConfigSection]
    /// `[services name]` sections by name.
    public var services: [String: SharedConfigSection]
    /// Sections that were ignored and other oddities worth a log line; never fatal.
    public var warnings: [String]

    public init(
        profiles: [String: SharedConfigSection] = [:], ssoSessions: [String: SharedConfigSection] = [:],
        services: [String: SharedConfigSection] = [:], warnings: [String] = []
    ) {
        self.profiles = profiles
        self.ssoSessions = ssoSessions
        self.services = services
        self.warnings = warnings
    }

    /// The profile with this name, if either file defines it.
    public func profile(_ name: String) -> SharedConfigSection? { profiles[name] }

    /// The endpoint a profile's `services = NAME` gives a service: `[services NAME]`,
    /// `SERVICE =` then `  endpoint_url = URL`.
    /// - Parameter service: the service's key in the section, e.g. `s3` or `sts`.
    public func servicesEndpointURL(profile: SharedConfigSection, service: String) -> String? {
        guard let servicesName = profile["services"], let section = services[servicesName] else { return nil }
        return section.subProperty(service, "endpoint_url")
    }

    /// Merges `other` over this configuration: sections with the same name merge property by
    /// property, `other`'s values winning.
    public func merging(_ other: SharedConfiguration) -> SharedConfiguration {
        var result = self
        func merge(_ into: inout [String: SharedConfigSection], _ from: [String: SharedConfigSection]) {
            for (name, section) in from {
                if into[name] == nil {
                    into[name] = section
                } else {
                    into[name]!.merge(section)
                }
            }
        }
        merge(&result.profiles, other.profiles)
        merge(&result.ssoSessions, other.ssoSessions)
        merge(&result.services, other.services)
        result.warnings += other.warnings
        return result
    }
}
