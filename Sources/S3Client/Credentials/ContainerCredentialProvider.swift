import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Credentials from the container agent (ECS tasks, EKS Pod Identity, CodeBuild, ...).
///
/// - `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is appended to `http://169.254.170.2`; it wins over
///   `AWS_CONTAINER_CREDENTIALS_FULL_URI` when both are set (as in botocore and the Rust SDK).
/// - `AWS_CONTAINER_CREDENTIALS_FULL_URI` must be `https`, or its host must resolve only to loopback,
///   `169.254.170.2`, `169.254.170.23` or `fd00:ec2::23`, so credentials never go to an arbitrary
///   host in clear text.
/// - The `Authorization` header comes from the file named by
///   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read again on every call, the agent rotates it), else
///   from `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
/// - Connecting may take 2 s, each read 5 s; a 5xx answer or a dropped connection is tried once more.
public struct ContainerCredentialProvider: CredentialProvider {
    /// The ECS agent's link-local address, which `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is relative to.
    public static let defaultBaseURL = "http://169.254.170.2"

    public let environment: [String: String]
    let baseURL: String
    let connectTimeout: Duration
    let readTimeout: Duration

    public var name: String {
        "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI)"
    }

    /// - Parameter baseURL: what a relative URI is appended to; only tests change it.
    public init(environment: [String: String], baseURL: String = Self.defaultBaseURL) {
        self.environment = environment
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.connectTimeout = .seconds(2)
        self.readTimeout = .seconds(5)
    }

    public func loadCredentials() async throws -> AWSCredentials? {
        guard let url = try await credentialsURL() else { return nil }
        var headers: [(String, String)] = [("accept", "application/json")]
        if let token = try authorizationToken() { headers.append(("authorization", token)) }
        let source = "the container credentials endpoint \(url)"
        var attempt = 0
        while true {
            attempt += 1
            do {
                let response = try await CredentialHTTPClient.with(
                    connectTimeout: connectTimeout, readTimeout: readTimeout
                ) { client in
                    try await client.send(.GET, url, headers: headers, deadline: .seconds(10))
                }
                if (200..<300).contains(response.status) {
                    return try CredentialDocument.decode(response.body, source: source).credentials(source: source)
                }
                let document = try? CredentialDocument.decode(response.body, source: source)
                let detail = [document?.errorCode ?? document?.code, document?.errorMessage ?? document?.message]
                    .compactMap { $0 }.joined(separator: ": ")
                let error = S3ClientError(
                    .credentials, "\(source) answered HTTP \(response.status)\(detail.isEmpty ? "" : ": " + detail)")
                guard response.status >= 500, attempt < 2 else { throw error }
            } catch let error as S3ClientError where error.kind == .connection || error.kind == .timeout {
                guard attempt < 2 else { throw S3ClientError(.credentials, error.message) }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The URL to ask, or `nil` when neither variable is set.
    /// - Throws: ``S3ClientError`` (configuration) when the full URI is not allowed.
    func credentialsURL() async throws -> String? {
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            return baseURL + (relative.hasPrefix("/") ? relative : "/" + relative)
        }
        guard let full = value("AWS_CONTAINER_CREDENTIALS_FULL_URI") else { return nil }
        guard let url = URL(string: full), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty
        else {
            throw S3ClientError(.configuration, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL: \(full)")
        }
        if scheme == "https" { return full }
        guard scheme == "http" else {
            throw S3ClientError(.configuration, "AWS_CONTAINER_CREDENTIALS_FULL_URI must use http or https: \(full)")
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let addresses = await Self.resolve(bare)
        guard !addresses.isEmpty else {
            throw S3ClientError(
                .configuration, "AWS_CONTAINER_CREDENTIALS_FULL_URI host \(bare) does not resolve to an address")
        }
        if let refused = addresses.first(where: { !Self.isAllowedHTTPAddress($0) }) {
            throw S3ClientError(
                .configuration,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI \(full) resolves to \(refused): over plain http only loopback, 169.254.170.2, 169.254.170.23 and fd00:ec2::23 are allowed; use https"
            )
        }
        return full
    }

    /// The `Authorization` header value, read from the token file on every call.
    func authorizationToken() throws -> String? {
        let token: String
        if let path = value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            do {
                token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(
                    in: .whitespacesAndNewlines)
            } catch {
                throw S3ClientError(
                    .credentials,
                    "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(path): \(error.localizedDescription)")
            }
        } else if let value = value("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
            token = value
        } else {
            return nil
        }
        guard !token.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw S3ClientError(.credentials, "the container authorization token must be one line")
        }
        return token.isEmpty ? nil : token
    }

    /// Whether plain http may carry credentials to this address: loopback, the ECS and EKS agents.
    static func isAllowedHTTPAddress(_ address: String) -> Bool {
        if address == "169.254.170.2" || address == "169.254.170.23" || address == "::1" { return true }
        if address.hasPrefix("127.") && S3Endpoint.looksLikeIPv4(address) { return true }
        var ipv6 = in6_addr()
        var allowed = in6_addr()
        guard inet_pton(AF_INET6, address, &ipv6) == 1, inet_pton(AF_INET6, "fd00:ec2::23", &allowed) == 1 else {
            return false
        }
        return withUnsafeBytes(of: &ipv6) { lhs in withUnsafeBytes(of: &allowed) { rhs in lhs.elementsEqual(rhs) } }
    }

    /// The numeric addresses a host resolves to (an IP literal resolves to itself).
    static func resolve(_ host: String) async -> [String] {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var hints = addrinfo()
                #if canImport(Glibc)
                    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
                #else
                    hints.ai_socktype = SOCK_STREAM
                #endif
                var list: UnsafeMutablePointer<addrinfo>?
                guard getaddrinfo(host, nil, &hints, &list) == 0 else {
                    continuation.resume(returning: [])
                    return
                }
                defer { freeaddrinfo(list) }
                var addresses: [String] = []
                var entry = list
                while let info = entry {
                    var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                    if getnameinfo(
                        info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0,
                        NI_NUMERICHOST) == 0
                    {
                        let address = String(
                            decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        if !addresses.contains(address) { addresses.append(address) }
                    }
                    entry = info.pointee.ai_next
                }
                continuation.resume(returning: addresses)
            }
        }
    }

    private func value(_ name: String) -> String? {
        guard let value = environment[name]?.trimmingSpaces, !value.isEmpty else { return nil }
        return value
    }
}
