//! What a report counts: exchanges (replayed, diffed or shadowed), rows (`shadowdiff data`,
//! whose routes are `table NAME`), or both (`run --check-data`), so that every format and
//! reason says "rows" where it counts rows. A pure function of the route names: an HTTP route is
//! never named `table ...`.

/// The thing a route or a report counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Exchanges: requests with their answers.
    Exchanges,
    /// Rows of a table, one per key.
    Rows,
    /// Both: a replay and the stores compared after it.
    Both,
}

impl Unit {
    /// What the route counts.
    pub fn of_route(route: &str) -> Unit {
        if route.starts_with("table ") {
            Unit::Rows
        } else {
            Unit::Exchanges
        }
    }

    /// What a report of these routes counts: rows when every route is a table's, both when
    /// some are, else exchanges.
    pub fn of_routes<'a>(routes: impl IntoIterator<Item = &'a str>) -> Unit {
        let (mut rows, mut exchanges) = (false, false);
        for route in routes {
            match Unit::of_route(route) {
                Unit::Rows => rows = true,
                _ => exchanges = true,
            }
        }
        match (rows, exchanges) {
            (true, true) => Unit::Both,
            (true, false) => Unit::Rows,
            _ => Unit::Exchanges,
        }
    }

    /// `exchanges` or `rows`.
    pub fn plural(self) -> &'static str {
        match self {
            Unit::Exchanges => "exchanges",
            Unit::Rows => "rows",
            Unit::Both => "exchanges and rows",
        }
    }

    /// `Exchanges` or `Rows`, a table's column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Unit::Exchanges => "Exchanges",
            Unit::Rows => "Rows",
            Unit::Both => "Exchanges and rows",
        }
    }

    /// `exchange` or `row`.
    pub fn singular(self) -> &'static str {
        match self {
            Unit::Exchanges => "exchange",
            Unit::Rows => "row",
            Unit::Both => "exchange or row",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_count_rows_anything_else_exchanges_and_a_mix_both() {
        assert_eq!(Unit::of_route("table orders"), Unit::Rows);
        assert_eq!(Unit::of_route("GET /table orders"), Unit::Exchanges);
        assert_eq!(Unit::of_routes(["table a", "table b"]), Unit::Rows);
        assert_eq!(Unit::of_routes(["table a", "GET /b"]), Unit::Both);
        assert_eq!(Unit::of_routes(["GET /a", "GET /b"]), Unit::Exchanges);
        assert_eq!(Unit::Both.plural(), "exchanges and rows");
        assert_eq!(Unit::of_routes([]), Unit::Exchanges);
        assert_eq!(Unit::Rows.plural(), "rows");
    }
}
