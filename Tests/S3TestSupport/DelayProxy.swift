import Foundation
import S3Client

#if canImport(Glibc)
    import Glibc
#endif

/// A proxy that puts a round-trip time between a client and a real S3 server on loopback:
/// `Tests/Scripts/delayproxy.py`, run as a child process. It delays each direction by RTT/2
/// (and a new connection by one RTT, as TCP's handshake would) without limiting bandwidth, and
/// passes the bytes through untouched, so SigV4 signatures and TLS stay valid.
///
/// ```swift
/// try await DelayProxy.with(upstream: server, roundTrip: .milliseconds(50)) { proxy in
///     let s3 = try server.makeClient(endpointURL: proxy.endpointURL)
/// }
/// ```
public struct DelayProxy: StoppableService {
    /// The port the proxy listens on, on 127.0.0.1.
    public let port: Int
    let process: ChildProcess
    let workDirectory: String

    /// The URL to give a client in place of the server's.
    public var endpointURL: String { "http://127.0.0.1:\(port)" }

    /// Starts a proxy in front of `server`, runs `body`, stops the proxy.
    public static func with<Result: Sendable>(
        upstream server: S3TestServer, roundTrip: Duration, _ body: (DelayProxy) async throws -> Result
    ) async throws -> Result {
        let work = try TestEnvironment.makeTemporaryDirectory("delayproxy")
        let (process, port) = try await ChildProcess.startListening(
            name: "the delay proxy", executable: try TestEnvironment.tool("python"),
            arguments: [
                TestEnvironment.packageRoot + "/Tests/Scripts/delayproxy.py", "--upstream",
                "127.0.0.1:\(server.port)", "--rtt", String(roundTrip.seconds * 1000), "--parent-pid", String(getpid()),
            ],
            workDirectory: work)
        let proxy = DelayProxy(port: port, process: process, workDirectory: work)
        return try await proxy.serving(body)
    }

    /// Stops the proxy and removes its files.
    public func stop() async {
        await process.stop()
        TestEnvironment.removeTree(workDirectory)
    }
}
