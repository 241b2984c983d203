/// libFuzzer's entry point. `~/.aws/config` and `~/.aws/credentials`, whatever they hold, must parse
/// or throw a configuration error: never crash or hang. The bytes before the first NUL are also read
/// as the config file and those after it as the credentials file, to reach the merge.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSharedConfigParser(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? SharedConfigParser.parse(text, kind: .config, source: "config")
    _ = try? SharedConfigParser.parse(text, kind: .credentials, source: "credentials")

    let split = bytes.firstIndex(of: 0) ?? bytes.endIndex
    let config = String(decoding: bytes[..<split], as: UTF8.self)
    let credentials = String(decoding: bytes[min(split + 1, bytes.endIndex)...], as: UTF8.self)
    if let merged = try? SharedConfigParser.parse(config: config, credentials: credentials) {
        _ = merged.profile("default")
    }
    return 0
}
