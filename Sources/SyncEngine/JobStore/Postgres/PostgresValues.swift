import Foundation
import PostgresNIO

/// Rows of bound values for one statement, `($1::bigint, $2::text), ($3::bigint, $4::text)`, so
/// that a batch is one round trip instead of one per row. Each placeholder carries its column's
/// type, which a `NULL` in a `VALUES` list otherwise lacks.
struct PostgresValues: Sendable {
    /// A statement takes at most 65535 parameters.
    static let maximumBinds = 65535

    let types: [String]
    private(set) var sql = ""
    private(set) var binds = PostgresBindings()
    private(set) var rowCount = 0

    init(types: [String]) {
        self.types = types
    }

    /// How many rows fit in one statement.
    var rowsPerStatement: Int { Self.maximumBinds / types.count }

    /// Adds a row; `append` binds exactly one value per column, in order.
    mutating func appendRow(_ append: (inout PostgresBindings) -> Void) {
        let first = binds.count
        append(&binds)
        precondition(binds.count == first + types.count, "a row binds one value per column")
        let placeholders = types.enumerated().map { index, type in "$\(first + index + 1)::\(type)" }
        sql += (rowCount == 0 ? "" : ", ") + "(" + placeholders.joined(separator: ", ") + ")"
        rowCount += 1
    }

    /// `sql` with `VALUES_LIST` replaced by the rows.
    func query(_ sql: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: sql.replacingOccurrences(of: "VALUES_LIST", with: self.sql), binds: binds)
    }

    /// The statements that write `items`, as many rows to each as fit.
    static func queries<Item>(
        _ items: some Collection<Item>, types: [String], sql: String, row: (Item, inout PostgresBindings) -> Void
    ) -> [PostgresQuery] {
        var queries: [PostgresQuery] = []
        var values = PostgresValues(types: types)
        for item in items {
            values.appendRow { row(item, &$0) }
            if values.rowCount == values.rowsPerStatement {
                queries.append(values.query(sql))
                values = PostgresValues(types: types)
            }
        }
        if values.rowCount > 0 { queries.append(values.query(sql)) }
        return queries
    }
}
