import Foundation
import HeraldTestSupport
import Logging
import Testing

@testable import ZooKeeper

/// A fresh persistent node for one test, so tests never see each other's nodes.
func scratchPath(_ client: ZooKeeperClient, _ name: String = #function) async throws -> String {
    let base = "/herald-tests"
    let label = name.filter { $0.isLetter || $0.isNumber }
    let path = "\(base)/\(label)-\(UUID().uuidString.prefix(8).lowercased())"
    try await client.ensurePath(path)
    return path
}

/// Expects `body` to throw a `ZooKeeperError` with `code`.
func expectZooKeeperError<T>(
    _ code: ZooKeeperError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as ZooKeeperError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
