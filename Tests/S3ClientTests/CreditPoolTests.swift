import S3Client
import Synchronization
import Testing

@Suite struct CreditPoolTests {
    final class Order: Sendable {
        let values = Mutex<[Int]>([])
        func append(_ value: Int) { values.withLock { $0.append(value) } }
        var all: [Int] { values.withLock { $0 } }
    }

    @Test func creditIsTakenAndGivenBackFirstComeFirstServed() async throws {
        let pool = CreditPool(capacity: 10)
        #expect(try await pool.take(6) == 6)
        let order = Order()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await pool.take(8)
                order.append(8)
                pool.giveBack(8)
            }
            // The second waiter needs only 2, which are free, but waits behind the first.
            while !pool.isContended { await Task.yield() }
            group.addTask {
                try await pool.take(2)
                order.append(2)
                pool.giveBack(2)
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(order.all.isEmpty)
            pool.giveBack(6)
            try await group.waitForAll()
        }
        #expect(order.all == [8, 2])
        #expect(pool.inUse == 0)
    }

    @Test func aLargerCapacityServesWaitersAtOnceAndASmallerOneWaitsForCreditToComeBack() async throws {
        let pool = CreditPool(capacity: 2)
        try await pool.take(2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.take(1) }
            while !pool.isContended { await Task.yield() }
            pool.setCapacity(3)
            try await group.waitForAll()
        }
        #expect(pool.inUse == 3)
        pool.setCapacity(1)
        pool.giveBack(1)
        pool.giveBack(1)
        // 1 still out against a capacity of 1: the next taker waits until it comes back.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await pool.take(1) }
            while !pool.isContended { await Task.yield() }
            pool.giveBack(1)
            try await group.waitForAll()
        }
        #expect(pool.inUse == 1)
    }

    @Test func moreThanTheCapacityTakesTheWholeCapacity() async throws {
        let pool = CreditPool(capacity: 4)
        let taken = try await pool.take(100)
        #expect(taken == 4)
        pool.giveBack(taken)
        #expect(pool.inUse == 0)
    }

    @Test func aCancelledWaiterGivesUpAndLetsTheNextOneIn() async throws {
        let pool = CreditPool(capacity: 4)
        try await pool.take(3)
        let waiting = Task { try await pool.take(4) }
        while !pool.isContended { await Task.yield() }
        let next = Task { try await pool.take(1) }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(try await next.value == 1)
        #expect(pool.inUse == 4)
    }
}
