/// How the upload of one file ended.
enum UploadOutcome: Sendable {
    /// Uploaded; the index record to save.
    case uploaded(IndexRecord)
    /// The file changed while it was uploaded: try again later in the run.
    case changed(String)
    /// The file is gone.
    case vanished
    /// It could not be uploaded; the message says why.
    case failed(String)
}

/// The file changed between the checks before and after sending it.
struct FileChangedError: Error {
    let message: String
}
