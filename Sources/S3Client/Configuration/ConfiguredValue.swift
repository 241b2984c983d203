/// A setting and where it came from (`--region`, `AWS_REGION`, `profile 'ci' in ~/.aws/config`),
/// so messages and `--verbose` output can say why a value applies.
public struct ConfiguredValue: Sendable, Hashable, CustomStringConvertible {
    public var value: String
    public var source: String

    public init(_ value: String, source: String) {
        self.value = value
        self.source = source
    }

    public var description: String { "\(value) (from \(source))" }
}
