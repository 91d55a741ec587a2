import HeraldSupport
import NIOConcurrencyHelpers
import Testing

@Suite("Broadcaster")
struct BroadcasterTests {
    @Test func everyStreamGetsEveryElementInOrder() async {
        let broadcaster = Broadcaster<Int>()
        let first = broadcaster.stream()
        let second = broadcaster.stream()
        for value in 1...3 { broadcaster.yield(value) }
        broadcaster.yield(contentsOf: [4, 5])
        broadcaster.finish()
        #expect(await Array(first) == [1, 2, 3, 4, 5])
        #expect(await Array(second) == [1, 2, 3, 4, 5])
    }

    @Test func aStreamSeesOnlyElementsAfterItJoined() async {
        let broadcaster = Broadcaster<Int>()
        broadcaster.yield(1)
        let late = broadcaster.stream()
        broadcaster.yield(2)
        broadcaster.finish()
        #expect(await Array(late) == [2])
    }

    @Test func handlersAreCalledOnTheYieldingThread() {
        let broadcaster = Broadcaster<Int>()
        let seen = NIOLockedValueBox<[Int]>([])
        let key = broadcaster.add { value in seen.withLockedValue { $0.append(value) } }
        broadcaster.yield(1)
        #expect(seen.withLockedValue { $0 } == [1])
        #expect(broadcaster.remove(key))
        #expect(!broadcaster.remove(key))
        broadcaster.yield(2)
        #expect(seen.withLockedValue { $0 } == [1])
    }

    @Test func aStreamWhoseConsumerEndedIsRemoved() async {
        let broadcaster = Broadcaster<Int>()
        let task = Task {
            for await _ in broadcaster.stream() {}
        }
        while broadcaster.receivers().isEmpty { await Task.yield() }
        task.cancel()
        await task.value
        #expect(broadcaster.receivers().isEmpty)
    }

    @Test func removeEndsAStream() async {
        let broadcaster = Broadcaster<Int>()
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let key = broadcaster.add(continuation)
        continuation.yield(0)
        broadcaster.yield(1)
        #expect(broadcaster.remove(key))
        broadcaster.yield(2)
        #expect(await Array(stream) == [0, 1])
    }

    @Test func removeAllHandsTheReceiversToTheCaller() async {
        let broadcaster = Broadcaster<Int>()
        let stream = broadcaster.stream()
        let taken = broadcaster.removeAll()
        broadcaster.yield(1)
        taken.yield(2)
        taken.finish()
        #expect(await Array(stream) == [2])
        #expect(broadcaster.receivers().isEmpty)
    }

    @Test func aStreamAddedAfterFinishStillWorks() async {
        let broadcaster = Broadcaster<Int>()
        broadcaster.finish()
        let stream = broadcaster.stream(bufferingPolicy: .bufferingNewest(1))
        broadcaster.yield(1)
        broadcaster.yield(2)
        broadcaster.finish()
        #expect(await Array(stream) == [2])
    }
}

extension Array {
    init<S: AsyncSequence>(_ sequence: S) async where S.Element == Element, S.Failure == Never {
        var result: [Element] = []
        for await element in sequence { result.append(element) }
        self = result
    }
}
