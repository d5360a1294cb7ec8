//! What a report counts: exchanges (replayed, diffed or shadowed) or rows (`shadowdiff data`,
//! whose routes are `table NAME`), so that every format and reason says "rows" where it counts
//! rows. A pure function of the route names: an HTTP route is never named `table ...`.

/// The thing a route or a report counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Exchanges: requests with their answers.
    Exchanges,
    /// Rows of a table, one per key.
    Rows,
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

    /// What a report of these routes counts: rows when every route is a table's.
    pub fn of_routes<'a>(routes: impl IntoIterator<Item = &'a str>) -> Unit {
        let mut routes = routes.into_iter().peekable();
        if routes.peek().is_some() && routes.all(|route| Unit::of_route(route) == Unit::Rows) {
            Unit::Rows
        } else {
            Unit::Exchanges
        }
    }

    /// `exchanges` or `rows`.
    pub fn plural(self) -> &'static str {
        match self {
            Unit::Exchanges => "exchanges",
            Unit::Rows => "rows",
        }
    }

    /// `Exchanges` or `Rows`, a table's column heading.
    pub fn heading(self) -> &'static str {
        match self {
            Unit::Exchanges => "Exchanges",
            Unit::Rows => "Rows",
        }
    }

    /// `exchange` or `row`.
    pub fn singular(self) -> &'static str {
        match self {
            Unit::Exchanges => "exchange",
            Unit::Rows => "row",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_count_rows_and_anything_else_exchanges() {
        assert_eq!(Unit::of_route("table orders"), Unit::Rows);
        assert_eq!(Unit::of_route("GET /table orders"), Unit::Exchanges);
        assert_eq!(Unit::of_routes(["table a", "table b"]), Unit::Rows);
        assert_eq!(Unit::of_routes(["table a", "GET /b"]), Unit::Exchanges);
        assert_eq!(Unit::of_routes([]), Unit::Exchanges);
        assert_eq!(Unit::Rows.plural(), "rows");
    }
}
