import Foundation
import Synchronization

/// The container credentials agent (ECS, EKS Pod Identity) for a ``MetadataServer``: serves
/// credentials at a path, fresh keys on every fetch (`ASIACONTAINER1`, ...), and answers 401 with
/// an error document when the `Authorization` header is not the expected one.
public final class FakeContainerCredentialService: Sendable {
    public let path: String
    private let state: Mutex<(authorization: String?, fetches: Int, lifetime: TimeInterval)>

    /// - Parameter authorization: the `Authorization` header to require; `nil` requires none.
    public init(
        path: String = "/v2/credentials/task", authorization: String? = nil, credentialLifetime: TimeInterval = 3600
    ) {
        self.path = path
        self.state = Mutex((authorization, 0, credentialLifetime))
    }

    public var handler: MetadataServer.Handler { { [self] request in self.respond(request) } }

    /// Credential documents served so far.
    public var fetches: Int { state.withLock { $0.fetches } }

    /// Requires another token from now on (as when the agent rotates it).
    public func setAuthorization(_ value: String?) {
        state.withLock { $0.authorization = value }
    }

    func respond(_ request: MetadataServer.Request) -> MetadataServer.Response {
        guard request.method == "GET", request.path == path else {
            return .json(#"{"code": "NotFound", "message": "no such path"}"#, status: 404)
        }
        let expected = state.withLock { $0.authorization }
        if let expected, request.header("authorization") != expected {
            return .json(#"{"code": "AccessDenied", "message": "bad authorization token"}"#, status: 401)
        }
        let (serial, lifetime) = state.withLock { state in
            state.fetches += 1
            return (state.fetches, state.lifetime)
        }
        return .json(
            """
            {"AccessKeyId": "ASIACONTAINER\(serial)", "SecretAccessKey": "container-secret-\(serial)",
             "Token": "container-session-\(serial)", "RoleArn": "arn:aws:iam::123456789012:role/task",
             "Expiration": "\(FakeInstanceMetadataService.timestamp(Date().addingTimeInterval(lifetime)))"}
            """)
    }
}
