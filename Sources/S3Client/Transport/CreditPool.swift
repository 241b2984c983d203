import Synchronization

/// Units of credit concurrent work shares — requests in flight, bytes of request bodies held in
/// memory: taken before the work, given back after it. Waiters are served first come first
/// served and give up when their task is cancelled. The capacity can change while credit is out;
/// a smaller one takes effect as credit comes back.
public final class CreditPool: Sendable {
    private struct Waiter {
        let id: UInt64
        let units: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var capacity: Int
        var inUse = 0
        var waiters: [Waiter] = []
        var head = 0
        var nextID: UInt64 = 0

        var hasWaiters: Bool { head < waiters.count }

        /// Hands credit to waiters at the head of the line while it lasts; returns those served.
        mutating func serve() -> [Waiter] {
            var served: [Waiter] = []
            while head < waiters.count, inUse + waiters[head].units <= capacity {
                inUse += waiters[head].units
                served.append(waiters[head])
                head += 1
            }
            if head > 64 && head * 2 > waiters.count {
                waiters.removeFirst(head)
                head = 0
            }
            return served
        }
    }

    private let state: Mutex<State>

    public init(capacity: Int) {
        state = Mutex(State(capacity: max(1, capacity)))
    }

    /// The credit there is in all.
    public var capacity: Int { state.withLock { $0.capacity } }

    /// The credit taken and not yet given back.
    public var inUse: Int { state.withLock { $0.inUse } }

    /// Whether a task is waiting for credit.
    public var isContended: Bool { state.withLock { $0.hasWaiters } }

    /// Changes the capacity; a larger one serves waiters at once.
    public func setCapacity(_ capacity: Int) {
        let served = state.withLock { state in
            state.capacity = max(1, capacity)
            return state.serve()
        }
        for waiter in served { waiter.continuation.resume() }
    }

    /// Takes `units` (at most the capacity, so a large request never waits forever), waiting
    /// until they are free; returns what was taken, for ``giveBack(_:)``.
    @discardableResult
    public func take(_ units: Int) async throws -> Int {
        try Task.checkCancellation()
        let granted: (units: Int, id: UInt64?) = state.withLock { state in
            let units = max(0, min(units, state.capacity))
            if !state.hasWaiters && state.inUse + units <= state.capacity {
                state.inUse += units
                return (units, nil)
            }
            state.nextID += 1
            return (units, state.nextID)
        }
        guard let id = granted.id else { return granted.units }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let served = state.withLock { state in
                    state.waiters.append(Waiter(id: id, units: granted.units, continuation: continuation))
                    return state.serve()
                }
                for waiter in served { waiter.continuation.resume() }
            }
        } onCancel: {
            let (cancelled, served): (Waiter?, [Waiter]) = state.withLock { state in
                guard let index = state.waiters[state.head...].firstIndex(where: { $0.id == id }) else {
                    return (nil, [])
                }
                let waiter = state.waiters.remove(at: index)
                return (waiter, state.serve())
            }
            cancelled?.continuation.resume(throwing: CancellationError())
            for waiter in served { waiter.continuation.resume() }
        }
        return granted.units
    }

    /// Gives back what ``take(_:)`` returned.
    public func giveBack(_ units: Int) {
        let served = state.withLock { state in
            state.inUse -= units
            return state.serve()
        }
        for waiter in served { waiter.continuation.resume() }
    }

    /// Runs `body` holding `units` of credit.
    public func withCredit<Result: Sendable>(_ units: Int, _ body: () async throws -> Result) async throws -> Result {
        let taken = try await take(units)
        defer { giveBack(taken) }
        return try await body()
    }
}
