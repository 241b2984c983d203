import Foundation

/// A self-signed CA and a server certificate for 127.0.0.1 and localhost, made with openssl.
public struct TLSMaterial: Sendable {
    public let directory: String
    public var caCertificatePath: String { directory + "/ca.pem" }
    public var certificatePath: String { directory + "/server.pem" }
    public var keyPath: String { directory + "/server.key" }

    /// - Parameter subjectAlternativeName: the names the server certificate is valid for.
    public static func generate(subjectAlternativeName: String = "IP:127.0.0.1,DNS:localhost") async throws
        -> TLSMaterial
    {
        let directory = try TestEnvironment.makeTemporaryDirectory("tls")
        let script = """
            set -e
            cd '\(directory)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=s3sync test CA' 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1' 2>/dev/null
            printf 'subjectAltName=\(subjectAlternativeName)\\nbasicConstraints=CA:FALSE\\nkeyUsage=digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
            """
        let result = try await Shell.run("/bin/bash", ["-c", script])
        guard result.status == 0 else { throw TestSupportError("openssl failed: \(result.output)") }
        return TLSMaterial(directory: directory)
    }
}
