/// Finds the endpoint URL configured for an AWS service, in the SDKs' order:
///
/// 1. the explicit value (`--endpoint-url`);
/// 2. `AWS_ENDPOINT_URL_<SERVICE>` (the service id uppercased, spaces as `_`: `AWS_ENDPOINT_URL_S3`);
/// 3. `AWS_ENDPOINT_URL`;
/// 4. the profile's `services = NAME`, then in `[services NAME]` the `<service> =` group's
///    `endpoint_url`;
/// 5. the profile's `endpoint_url`.
///
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
/// `ignore_configured_endpoint_urls = true`) disables 2–5; the explicit value still applies.
/// Blank values count as unset.
public enum ServiceEndpointResolver {
    /// - Parameters:
    ///   - service: the service id as the SDKs spell it, e.g. `S3` or `STS`.
    ///   - explicit: the command line's `--endpoint-url`.
    ///   - profileName: the profile's name, for the source description.
    public static func endpointURL(
        service: String, explicit: String?, environment: [String: String], profile: SharedConfigSection?,
        profileName: String, configuration: SharedConfiguration, configFile: String = "~/.aws/config"
    ) -> ConfiguredValue? {
        if let explicit = explicit?.trimmingSpaces, !explicit.isEmpty {
            return ConfiguredValue(explicit, source: "--endpoint-url")
        }
        if ignoresConfiguredEndpoints(environment: environment, profile: profile) { return nil }
        let variable = "AWS_ENDPOINT_URL_" + service.uppercased().replacingSpaces(with: "_")
        for name in [variable, "AWS_ENDPOINT_URL"] {
            if let value = environment[name]?.trimmingSpaces, !value.isEmpty {
                return ConfiguredValue(value, source: name)
            }
        }
        guard let profile else { return nil }
        let key = service.lowercased().replacingSpaces(with: "_")
        if let value = configuration.servicesEndpointURL(profile: profile, service: key) {
            return ConfiguredValue(
                value, source: "[services \(profile["services"] ?? "")] \(key) endpoint_url in \(configFile)")
        }
        if let value = profile["endpoint_url"] {
            return ConfiguredValue(value, source: "endpoint_url of profile '\(profileName)'")
        }
        return nil
    }

    /// Whether only an explicit endpoint counts.
    public static func ignoresConfiguredEndpoints(environment: [String: String], profile: SharedConfigSection?)
        -> Bool
    {
        if let value = environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.trimmingSpaces, !value.isEmpty {
            return value.lowercased() == "true"
        }
        return profile?["ignore_configured_endpoint_urls"]?.lowercased() == "true"
    }
}

extension String {
    fileprivate func replacingSpaces(with replacement: String) -> String {
        split(separator: " ", omittingEmptySubsequences: true).joined(separator: replacement)
    }
}
