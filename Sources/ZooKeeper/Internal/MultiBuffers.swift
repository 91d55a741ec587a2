import CZooKeeper
import Foundation

/// The C memory of one `multi`: the op array and copies of its paths, data and ACLs (read by
/// the C client while the request is queued), plus the result array, created-path buffers and
/// stats (written by the C client when the reply arrives).
///
/// `@unchecked Sendable`: the C client writes the result memory before it calls the completion,
/// and Swift reads it only inside that completion; the owning `SessionCore` keeps the object
/// alive until the completion ran or `zookeeper_close` returned, so C never writes freed memory.
final class MultiBuffers: @unchecked Sendable {
    let operations: [Operation]
    let ops: UnsafeMutablePointer<zoo_op_t>
    let results: UnsafeMutablePointer<zoo_op_result_t>
    private var allocations: [UnsafeMutableRawPointer] = []
    private var acls: [CACLVector] = []

    init(_ operations: [Operation]) {
        self.operations = operations
        let count = max(operations.count, 1)
        ops = .allocate(capacity: count)
        ops.initialize(repeating: zoo_op_t(), count: count)
        results = .allocate(capacity: count)
        results.initialize(repeating: zoo_op_result_t(), count: count)
        for (index, operation) in operations.enumerated() {
            let op = ops + index
            switch operation {
            case .check(let path, let version):
                zoo_check_op_init(op, cString(path), version)
            case .delete(let path, let version):
                zoo_delete_op_init(op, cString(path), version)
            case .set(let path, let data, let version):
                let stat = UnsafeMutablePointer<CZooKeeper.Stat>.allocate(capacity: 1)
                stat.initialize(to: CZooKeeper.Stat())
                allocations.append(UnsafeMutableRawPointer(stat))
                zoo_set_op_init(op, cString(path), bytes(data), Int32(data.count), version, stat)
            case .create(let path, let data, let mode, let acl):
                let vector = CACLVector(acl)
                acls.append(vector)
                let capacity = path.utf8.count + 32
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
                buffer.initialize(repeating: 0, count: capacity)
                allocations.append(UnsafeMutableRawPointer(buffer))
                vector.withPointer { aclPointer in
                    zoo_create_op_init(
                        op, cString(path), bytes(data), Int32(data.count), aclPointer,
                        mode.cFlags, buffer, Int32(capacity))
                }
            }
        }
    }

    deinit {
        for allocation in allocations { free(allocation) }
        ops.deallocate()
        results.deallocate()
    }

    /// Each step's code (nil for success), read after the completion.
    var codes: [ZooKeeperError.Code?] {
        operations.indices.map { index in
            let err = results[index].err
            return err == 0 ? nil : ZooKeeperError.Code(rawValue: err)
        }
    }

    /// Each step's result, read after a successful completion.
    var operationResults: [OperationResult] {
        operations.enumerated().map { index, operation in
            switch operation {
            case .check: return .check
            case .delete: return .delete
            case .set:
                return .set(ops[index].set_op.stat.map { Stat($0.pointee) } ?? Stat())
            case .create:
                return .create(path: ops[index].create_op.buf.map { String(cString: $0) } ?? "")
            }
        }
    }

    private func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    private func bytes(_ data: [UInt8]) -> UnsafeMutablePointer<CChar> {
        let copy = malloc(max(data.count, 1))!
        data.withUnsafeBytes { source in
            if let base = source.baseAddress { copy.copyMemory(from: base, byteCount: data.count) }
        }
        allocations.append(copy)
        return copy.assumingMemoryBound(to: CChar.self)
    }
}
