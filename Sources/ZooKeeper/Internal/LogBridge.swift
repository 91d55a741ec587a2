import CZooKeeper
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Routes the C client's log lines into swift-log.
///
/// The C log callback has no context pointer, so there is one bridge for the process; the
/// logger is replaceable (`ZooKeeperClient.bootstrapLogging`). The C debug level follows the
/// logger's level so that the C client does not format lines nobody will read.
enum LogBridge {
    private static let logger: NIOLockedValueBox<Logger> = {
        var logger = Logger(label: "zookeeper.c")
        // The C client is chatty at INFO (one line per connect and close); warnings by default.
        logger.logLevel = .warning
        return NIOLockedValueBox(logger)
    }()

    static func install(_ newLogger: Logger) {
        logger.withLockedValue { $0 = newLogger }
        zoo_set_debug_level(cLevel(for: newLogger.logLevel))
    }

    static func applyCurrentLevel() {
        zoo_set_debug_level(cLevel(for: logger.withLockedValue { $0.logLevel }))
    }

    static let callback: log_callback_fn = { message in
        guard let message else { return }
        let (level, text) = parse(String(cString: message))
        let current = logger.withLockedValue { $0 }
        current.log(level: level, "\(text)")
    }

    static func cLevel(for level: Logger.Level) -> ZooLogLevel {
        switch level {
        case .trace, .debug: return ZOO_LOG_LEVEL_DEBUG
        case .info, .notice: return ZOO_LOG_LEVEL_INFO
        case .warning: return ZOO_LOG_LEVEL_WARN
        case .error, .critical: return ZOO_LOG_LEVEL_ERROR
        }
    }

    /// Splits `TIME:PID(0xTID):ZOO_LEVEL@function@line: text` into a level and the text.
    static func parse(_ line: String) -> (Logger.Level, String) {
        let trimmed = line.hasSuffix("\n") ? String(line.dropLast()) : line
        guard let marker = trimmed.range(of: ":ZOO_") else { return (.info, trimmed) }
        let rest = trimmed[marker.upperBound...]
        let levelName = rest.prefix { $0 != "@" }
        let level: Logger.Level
        switch levelName {
        case "ERROR": level = .error
        case "WARN": level = .warning
        case "INFO": level = .info
        case "DEBUG": level = .debug
        default: level = .info
        }
        let text = rest.range(of: ": ").map { String(rest[$0.upperBound...]) } ?? String(rest)
        return (level, text)
    }
}
