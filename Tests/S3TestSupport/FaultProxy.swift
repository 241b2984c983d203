import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A fault-injecting HTTP proxy between a client and a real S3 server on loopback:
/// `Tests/Scripts/faultproxy.py`, run as a child process.
///
/// It forwards requests byte for byte (the `Host` header too, so SigV4 signatures made for the
/// proxy's address stay valid) and, per request, answers 503 SlowDown, 500 InternalError or 200
/// with an `<Error>` body, drops the connection in the middle of the request body or of the
/// response, or stalls, as its ``Rule``s say. Decisions are seeded, so a run is repeatable.
///
/// ```swift
/// try await S3TestServer.with(.rclone) { server in
///     try await FaultProxy.with(upstream: server, rules: [.init(.slowDown, probability: 0.25)]) { proxy in
///         let s3 = try server.makeClient(endpointURL: proxy.endpointURL)
///         ...
///         try await proxy.setRules([])  // healthy from here on
///         let seen = try await proxy.statistics()
///         print(seen.total.requests, seen.total.faults(.slowDown), seen.operation("PutObject").forwardedBodyBytes)
///     }
/// }
/// ```
public struct FaultProxy: StoppableService {
    /// What the proxy answers when it cannot connect to the upstream server.
    public enum UpstreamDownBehaviour: String, Sendable, Codable {
        /// 502 Bad Gateway, as a load balancer in front of a dead server does.
        case badGateway = "bad_gateway"
        /// Closes the client's connection without an answer.
        case close
    }

    /// The port the proxy listens on, on 127.0.0.1.
    public let port: Int
    public let upstreamPort: Int
    let process: ChildProcess
    let workDirectory: String

    /// The URL to give a client in place of the server's.
    public var endpointURL: String { "http://127.0.0.1:\(port)" }
    /// The proxy's own log (startup line and internal errors).
    public var log: String { process.log }

    /// Starts a proxy in front of `server`, runs `body`, stops the proxy.
    public static func with<Result: Sendable>(
        upstream server: S3TestServer, rules: [Rule] = [], seed: Int = 1,
        whenUpstreamIsDown: UpstreamDownBehaviour = .badGateway, _ body: (FaultProxy) async throws -> Result
    ) async throws -> Result {
        try await with(
            upstreamPort: server.port, rules: rules, seed: seed, whenUpstreamIsDown: whenUpstreamIsDown, body)
    }

    /// Starts a proxy in front of `upstreamHost:upstreamPort`, runs `body`, stops the proxy.
    public static func with<Result: Sendable>(
        upstreamPort: Int, upstreamHost: String = "127.0.0.1", rules: [Rule] = [], seed: Int = 1,
        whenUpstreamIsDown: UpstreamDownBehaviour = .badGateway, _ body: (FaultProxy) async throws -> Result
    ) async throws -> Result {
        let proxy = try await start(
            upstreamPort: upstreamPort, upstreamHost: upstreamHost, rules: rules, seed: seed,
            whenUpstreamIsDown: whenUpstreamIsDown)
        return try await proxy.serving(body)
    }

    /// Starts a proxy; stop it with ``stop()``.
    /// - Parameters:
    ///   - rules: tried in order for each request; the first that matches and fires decides it.
    ///   - seed: makes the random draws repeatable.
    public static func start(
        upstreamPort: Int, upstreamHost: String = "127.0.0.1", rules: [Rule] = [], seed: Int = 1,
        whenUpstreamIsDown: UpstreamDownBehaviour = .badGateway
    ) async throws -> FaultProxy {
        let work = try TestEnvironment.makeTemporaryDirectory("faultproxy")
        let configuration = String(
            decoding: try JSONEncoder().encode(
                Configuration(seed: seed, rules: rules, whenUpstreamIsDown: whenUpstreamIsDown)),
            as: UTF8.self)
        let (process, port) = try await ChildProcess.startListening(
            name: "the fault proxy", executable: try TestEnvironment.tool("python"),
            arguments: [
                TestEnvironment.packageRoot + "/Tests/Scripts/faultproxy.py", "--upstream",
                "\(upstreamHost):\(upstreamPort)", "--config", configuration, "--parent-pid", String(getpid()),
            ],
            workDirectory: work)
        return FaultProxy(port: port, upstreamPort: upstreamPort, process: process, workDirectory: work)
    }

    /// Stops the proxy and removes its files.
    public func stop() async {
        await process.stop()
        TestEnvironment.removeTree(workDirectory)
    }

    /// Replaces the rules (and the seed); the rules' counters and the per-request draws start over.
    public func setRules(_ rules: [Rule], seed: Int = 1) async throws {
        _ = try await control(
            "PUT", "/__proxy/rules",
            body: try JSONEncoder().encode(Configuration(seed: seed, rules: rules, whenUpstreamIsDown: nil)))
    }

    /// What the proxy saw since it started or since ``resetStatistics()``.
    public func statistics() async throws -> Statistics {
        try JSONDecoder().decode(Statistics.self, from: try await control("GET", "/__proxy/stats"))
    }

    /// Zeroes the statistics and forgets the requests seen.
    public func resetStatistics() async throws {
        _ = try await control("POST", "/__proxy/stats/reset")
    }

    struct Configuration: Encodable {
        var seed: Int
        var rules: [Rule]
        var whenUpstreamIsDown: UpstreamDownBehaviour?

        enum CodingKeys: String, CodingKey {
            case seed, rules
            case whenUpstreamIsDown = "when_upstream_down"
        }
    }
}
