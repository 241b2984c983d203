extension FaultProxy {
    /// What the proxy saw, in total and per S3 operation.
    public struct Statistics: Sendable, Hashable, Decodable {
        /// Counters for a set of requests.
        public struct Counters: Sendable, Hashable, Decodable {
            /// Requests received (control requests aside).
            public var requests = 0
            /// Requests that reached the upstream server whole.
            public var forwarded = 0
            /// Request-body bytes written to the upstream, partial bodies of dropped requests
            /// included: re-sent bytes show here.
            public var forwardedBodyBytes: Int64 = 0
            /// Response-body bytes sent to the client, partial bodies of dropped responses
            /// included: what a downloading client received (re-fetched bytes show here).
            public var relayedBodyBytes: Int64 = 0
            /// Stalls cut short because the client closed the connection (it timed out).
            public var stallsEndedByClient = 0
            /// ``Fault/holdRequest`` and ``Fault/holdResponse`` windows opened so far.
            public var holds = 0
            /// Faults injected, by ``Fault`` raw value.
            public var faults: [String: Int] = [:]
            /// Status codes answered, by code (`"200"`, `"503"`); a dropped response counts under
            /// the server's status.
            public var responses: [String: Int] = [:]

            public init() {}

            /// How many times `fault` was injected.
            public func faults(_ fault: Fault) -> Int { faults[fault.rawValue] ?? 0 }
            /// All faults injected, of any kind.
            public var faultCount: Int { faults.values.reduce(0, +) }
            /// How many responses had this status.
            public func responses(_ status: Int) -> Int { responses[String(status)] ?? 0 }

            enum CodingKeys: String, CodingKey {
                case requests, forwarded, faults, responses, holds
                case forwardedBodyBytes = "forwarded_body_bytes"
                case relayedBodyBytes = "relayed_body_bytes"
                case stallsEndedByClient = "stalls_ended_by_client"
            }
        }

        public var total: Counters
        /// Counters by the operation the proxy inferred (`PutObject`, `UploadPart`, ...).
        public var operations: [String: Counters]
        /// Connections to the upstream that could not be opened, or that closed without answering.
        public var upstreamFailures: Int
        /// Client connections accepted.
        public var connections: Int

        /// The counters of one operation (zero when the proxy saw none).
        public func operation(_ name: String) -> Counters { operations[name] ?? Counters() }

        enum CodingKeys: String, CodingKey {
            case total, operations, connections
            case upstreamFailures = "upstream_failures"
        }
    }
}
