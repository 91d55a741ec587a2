import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `herald_log_file`: the same lines as stderr, appended to a file created with mode 0640.
/// One `write(2)` per line with O_APPEND, so lines stay whole; a write error is dropped (stderr
/// still has the line).
struct FileLogHandler: LogHandler {
    final class Sink: Sendable {
        let descriptor: Int32

        init(path: String) throws {
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else {
                throw HeraldExit(
                    code: .usage, message: "herald_log_file: cannot open \(path): \(String(cString: strerror(errno)))")
            }
        }

        func write(_ line: String) {
            let bytes = Array(line.utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let timestamp = ISO8601DateFormatter().string(from: Date())
        sink.write("\(timestamp) \(event.level) \(label): \(fields.isEmpty ? "" : fields + " ")\(event.message)\n")
    }
}
