import Testing

@testable import SyncEngine

/// The controller against a simulated store: throughput rises with requests in flight until the
/// store's own rate (the knee at rate × round trip), latency follows Little's law, and above a
/// chosen level in flight the store throttles. Time is the simulation's: each window lasts three
/// mean latencies, as ``AdaptiveConcurrency`` measures them.
@Suite struct ConcurrencyControllerTests {
    struct SimulatedStore {
        var roundTrip: Double
        /// Requests per second the store can serve.
        var rate: Double
        /// Above this many in flight, a share of the requests is throttled.
        var throttlesAbove = Int.max
        /// Relative noise on each window's throughput (seeded, so runs repeat).
        var noise = 0.0
        var generator = SplitMix(seed: 7)

        mutating func window(at limit: Int, contended: Bool = true) -> ConcurrencyController.Window {
            let throughput = min(Double(limit) / roundTrip, rate)
            let latency = Double(limit) / throughput
            let seconds = 3 * latency
            let jitter = noise > 0 ? 1 + noise * (2 * generator.nextUnit() - 1) : 1
            let completed = Int(throughput * seconds * jitter)
            return ConcurrencyController.Window(
                seconds: seconds, completed: completed, bytes: 0, latencySeconds: Double(completed) * latency,
                contended: contended, throttles: limit > throttlesAbove ? max(1, completed / 20) : 0)
        }
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func nextUnit() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
        }
    }

    static let bounds = ConcurrencyController.Bounds(floor: 4, ceiling: 256)

    /// Runs `windows` windows and returns the limits the controller chose, in order.
    func simulate(_ store: inout SimulatedStore, windows: Int, initial: Int = 32) -> [Int] {
        var controller = ConcurrencyController(initial: initial, bounds: Self.bounds)
        var limits: [Int] = []
        for _ in 0..<windows {
            let window = store.window(at: controller.limit)
            limits.append(controller.adjust(after: window))
        }
        return limits
    }

    @Test func aFarStoreGrowsTheBudgetToTheKneeAndStaysNearIt() {
        // 50 ms away, 2000 requests per second: 100 in flight is the knee.
        var store = SimulatedStore(roundTrip: 0.05, rate: 2000)
        let limits = simulate(&store, windows: 80)
        let settled = limits.suffix(40)
        #expect(settled.allSatisfy { (100...200).contains($0) }, "\(limits)")
        // It got there within a few windows: doubling, not one step at a time.
        #expect(limits.prefix(5).contains { $0 >= 100 }, "\(limits)")
        // And it runs at the store's rate most of the time.
        let throughput = settled.map { min(Double($0) / 0.05, 2000) }.reduce(0, +) / Double(settled.count)
        #expect(throughput >= 1900)
    }

    @Test func aNearStoreKeepsTheStartingBudget() {
        // Loopback: 1 ms away, 2000 requests per second; 32 in flight already saturates it.
        var store = SimulatedStore(roundTrip: 0.001, rate: 2000)
        let limits = simulate(&store, windows: 60)
        #expect(limits.allSatisfy { (4...72).contains($0) }, "\(limits)")
        #expect(limits.suffix(20).allSatisfy { $0 <= 40 }, "\(limits)")
    }

    @Test func throttlingCutsTheBudgetAndItSettlesBelowTheThrottlingLevel() {
        // The store could go further, but throttles above 80 in flight.
        var store = SimulatedStore(roundTrip: 0.05, rate: 10_000, throttlesAbove: 80)
        var controller = ConcurrencyController(initial: 32, bounds: Self.bounds)
        var throttledWindows = 0
        var limits: [Int] = []
        for _ in 0..<120 {
            let before = controller.limit
            let window = store.window(at: before)
            let after = controller.adjust(after: window)
            if window.throttles > 0 {
                throttledWindows += 1
                #expect(after <= before * 7 / 10 || after == Self.bounds.floor, "cut from \(before) to \(after)")
            }
            limits.append(after)
        }
        // It keeps probing, so it is throttled now and then, but rarely.
        #expect(throttledWindows >= 1)
        #expect(throttledWindows <= 15, "\(throttledWindows) throttled windows: \(limits)")
        let mean = Double(limits.suffix(60).reduce(0, +)) / 60
        #expect(mean >= 40 && mean <= 88, "mean \(mean): \(limits)")
    }

    @Test func theBudgetNeverLeavesItsBounds() {
        // A store that scales without limit: the budget climbs to the ceiling and stays there.
        var unlimited = SimulatedStore(roundTrip: 0.05, rate: .infinity)
        let limits = simulate(&unlimited, windows: 50)
        #expect(limits.allSatisfy { $0 <= Self.bounds.ceiling })
        #expect(limits.suffix(10).allSatisfy { $0 == Self.bounds.ceiling }, "\(limits)")
        // A store that throttles everything: the budget falls to the floor and no further.
        var throttling = SimulatedStore(roundTrip: 0.05, rate: 2000, throttlesAbove: 0)
        let cut = simulate(&throttling, windows: 30)
        #expect(cut.allSatisfy { $0 >= Self.bounds.floor })
        #expect(cut.suffix(5).allSatisfy { $0 == Self.bounds.floor }, "\(cut)")
    }

    @Test func noiseDoesNotSendItAway() {
        var store = SimulatedStore(roundTrip: 0.05, rate: 2000, noise: 0.1)
        let limits = simulate(&store, windows: 200)
        #expect(limits.suffix(150).allSatisfy { (64...256).contains($0) }, "\(limits)")
        let mean = Double(limits.suffix(150).reduce(0, +)) / 150
        #expect(mean >= 95 && mean <= 220, "mean \(mean)")
    }

    @Test func aStoreThatSlowsDownGetsFewerRequestsInFlight() {
        // At the knee of a fast store, then the store's rate drops to a quarter: latency grows
        // without throughput, and the budget steps down towards the new knee (25).
        var store = SimulatedStore(roundTrip: 0.05, rate: 2000)
        var controller = ConcurrencyController(initial: 32, bounds: Self.bounds)
        for _ in 0..<30 { controller.adjust(after: store.window(at: controller.limit)) }
        let before = controller.limit
        store.rate = 500
        var limits: [Int] = []
        for _ in 0..<60 { limits.append(controller.adjust(after: store.window(at: controller.limit))) }
        #expect(before >= 100)
        #expect(limits.suffix(20).allSatisfy { $0 <= 64 }, "\(before) then \(limits)")
    }

    @Test func windowsWhereTheWorkWasTheLimitChangeNothing() {
        // Fewer requests than permits (the end of a job, one large file): nothing to learn.
        var store = SimulatedStore(roundTrip: 0.05, rate: 2000)
        var controller = ConcurrencyController(initial: 32, bounds: Self.bounds)
        for _ in 0..<20 {
            let limit = controller.adjust(after: store.window(at: controller.limit, contended: false))
            #expect(limit == 32)
        }
        // Failed requests still cut it.
        var failing = store.window(at: 32, contended: false)
        failing.failures = 3
        #expect(controller.adjust(after: failing) == 22)
    }

    @Test func bytesCountAsWorkSoLargePartsAreJudgedByThroughput() {
        // 8 MiB parts: a window's requests are few, its bytes many; doubling the budget that
        // doubles the bytes is a gain.
        var controller = ConcurrencyController(initial: 8, bounds: Self.bounds)
        let warmUp = ConcurrencyController.Window(
            seconds: 1, completed: 1, bytes: 8 << 20, latencySeconds: 8, contended: true)
        #expect(controller.adjust(after: warmUp) == 8)
        let first = ConcurrencyController.Window(
            seconds: 1, completed: 4, bytes: 32 << 20, latencySeconds: 8, contended: true)
        #expect(controller.adjust(after: first) == 16)
        let second = ConcurrencyController.Window(
            seconds: 1, completed: 8, bytes: 64 << 20, latencySeconds: 16, contended: true)
        #expect(controller.adjust(after: second) == 32)
        // The same bytes with twice the budget: back to where it was, and it holds.
        let third = ConcurrencyController.Window(
            seconds: 1, completed: 8, bytes: 64 << 20, latencySeconds: 32, contended: true)
        #expect(controller.adjust(after: third) == 16)
        #expect(controller.phase == .steady)
    }
}
