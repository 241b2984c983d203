import Foundation
import Logging

/// swift-log to stderr: warnings by default, info with `--verbose`, any level with S3SYNC_LOG_LEVEL.
/// Credentials and signatures are never logged.
enum CommandLogging {
    static func bootstrap(verbose: Bool) -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let level =
            environment["S3SYNC_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? (verbose ? .info : .warning)
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "s3sync")
        logger.logLevel = level
        return logger
    }
}
