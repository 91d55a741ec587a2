import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a file so that readers see the old or the new contents, never a part, and so that a
/// secret is never readable by others, not even for an instant: the temporary file is created
/// with the final mode (umask cannot widen it), synced, then renamed over the target.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func write(_ contents: String, to path: String, mode: UInt32) throws(WriteError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary =
            "\(directory.isEmpty ? "." : directory)/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var ok = fchmod(fd, mode_t(mode)) == 0
        let bytes = Array(contents.utf8)
        var written = 0
        while ok, written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if result < 0, errno == EINTR { continue }
            ok = result > 0
            if ok { written += result }
        }
        ok = ok && fsync(fd) == 0
        ok = close(fd) == 0 && ok
        guard ok, rename(temporary, path) == 0 else {
            let error = failure("cannot write \(path)")
            unlink(temporary)
            throw error
        }
    }

    private static func failure(_ what: String) -> WriteError {
        WriteError(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
