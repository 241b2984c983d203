import S3Client
import SyncEngine

/// What to do about an error that ended a run, in the command line's terms: the libraries say
/// what happened, this names the flags and variables that change it.
enum ErrorAdvice {
    /// The message to print: the error's own, then the advice, when there is some.
    static func message(for error: SyncError) -> String {
        guard let advice = advice(for: error) else { return error.message }
        return error.message + ". " + advice
    }

    static func advice(for error: SyncError) -> String? {
        switch error.subject {
        case .stateDatabase:
            return "Pass --state PATH (or set S3SYNC_STATE) to use another state database"
        case .jobQueue:
            return "Check the queue's URL, the PG* variables and ~/.pgpass, and that the server is reachable"
        case .deleteLimit:
            return "Raise --max-delete if that is intended"
        case .jobEndpoint(let endpoint):
            return "Pass --endpoint-url \(endpoint)"
        case .unknownJob:
            return "`s3sync status` lists the jobs"
        case .store(let category):
            return advice(for: category, underlying: error.underlying)
        case nil:
            return nil
        }
    }

    static func advice(for category: S3ErrorCategory, underlying: (any Error)?) -> String? {
        switch category {
        case .tls:
            return "Pass the CA's certificate with --ca-bundle or AWS_CA_BUNDLE"
        case .connection:
            return "Check --endpoint-url (or AWS_ENDPOINT_URL) and that the server is reachable"
        case .wrongRegion:
            if let region = (underlying as? S3ServiceError)?.bucketRegion { return "Pass --region \(region)" }
            return "Pass the bucket's --region"
        case .bucketNotFound:
            return "Check that --endpoint-url (or AWS_ENDPOINT_URL) names the store that has it"
        case .credentials:
            return "--profile (or AWS_PROFILE) chooses the credentials, --region the region they sign for"
        case .throttled:
            return "Lower --concurrency or use --bwlimit"
        default:
            return nil
        }
    }
}
