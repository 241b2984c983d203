extension Sequence<TaskCount> {
    /// How many tasks are in `state` (any state when `nil`), of `kind` (any kind when `nil`).
    func total(_ state: TaskRecord.State? = nil, kind: TaskRecord.Kind? = nil) -> Int {
        reduce(0) { sum, count in
            (state == nil || count.state == state) && (kind == nil || count.kind == kind) ? sum + count.count : sum
        }
    }

    /// How many tasks are in `state` among the kinds `include` accepts.
    func total(_ state: TaskRecord.State, where include: (TaskRecord.Kind) -> Bool) -> Int {
        reduce(0) { sum, count in count.state == state && include(count.kind) ? sum + count.count : sum }
    }
}
