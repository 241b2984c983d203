import Crypto
import Foundation

struct MD5Hasher {
    var hasher = Insecure.MD5()
    mutating func update(_ data: Data) { hasher.update(data: data) }
    var hex: String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}
