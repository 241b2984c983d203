import NIOCore

/// Takes a GetObject body as it arrives, instead of the client collecting it in memory.
///
/// Each attempt of the request starts with ``begin(_:)``: after a failed attempt the body arrives
/// again from its first byte, so a consumer writes by position (or starts over) and resets what it
/// computes over the bytes.
public protocol ObjectBodyConsumer: Sendable {
    /// The answer's head, before any of its body. Throw to refuse the answer (an
    /// ``S3ClientError`` of kind `invalidResponse` is retried).
    func begin(_ head: ObjectHead) throws
    /// The next bytes of the body, in order.
    func consume(_ bytes: ByteBuffer) throws
    /// The whole body has arrived. Throw ``S3ClientError`` `invalidResponse` when it fails
    /// verification: the request is then sent again, as for a broken connection.
    func finish() throws
}
