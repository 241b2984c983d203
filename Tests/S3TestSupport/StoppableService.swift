/// A server or proxy a test starts and must stop, whether the test passes or throws.
public protocol StoppableService: Sendable {
    func stop() async
}

extension StoppableService {
    /// Runs `body` with the service and stops it afterwards, also when `body` throws.
    func serving<Result: Sendable>(_ body: (Self) async throws -> Result) async throws -> Result {
        do {
            let result = try await body(self)
            await stop()
            return result
        } catch {
            await stop()
            throw error
        }
    }
}
