import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

extension FaultProxy {
    /// Sends one request to the proxy's control endpoint and returns the body of its 200 answer.
    func control(_ method: String, _ path: String, body: Data = Data()) async throws -> Data {
        let port = self.port
        let request =
            Data(
                ("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n").utf8) + body
        // Blocking socket calls, on NIO's thread pool so that no cooperative thread waits.
        let response = try await NIOThreadPool.singleton.runIfActive {
            try Self.exchange(port: port, request: request)
        }
        guard let split = response.range(of: Data("\r\n\r\n".utf8)) else {
            throw TestSupportError("the fault proxy's answer to \(method) \(path) has no head")
        }
        let head = String(decoding: response[..<split.lowerBound], as: UTF8.self)
        let answer = response[split.upperBound...]
        guard head.hasPrefix("HTTP/1.1 200") else {
            throw TestSupportError(
                "the fault proxy refused \(method) \(path): \(head) \(String(decoding: answer, as: UTF8.self))")
        }
        return Data(answer)
    }

    /// Writes `request` to 127.0.0.1:`port` and reads until the proxy closes the connection.
    static func exchange(port: Int, request: Data) throws -> Data {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw TestSupportError("cannot connect to the fault proxy on port \(port): errno \(errno)")
        }
        try request.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var sent = 0
            while sent < bytes.count {
                let result = send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if result < 0 {
                    if errno == EINTR { continue }
                    throw TestSupportError("sending to the fault proxy failed: errno \(errno)")
                }
                sent += result
            }
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw TestSupportError("reading from the fault proxy failed: errno \(errno)")
            }
            if count == 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return response
    }
}
