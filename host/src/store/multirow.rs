//! Placeholders for statements that carry many rows at once: a batch write
//! as one `INSERT … VALUES (…), (…)` or one `WHERE id IN (…)` instead of a
//! statement per row. On SQLite every statement is a trip to the driver's
//! worker thread on the one connection, and that per-statement cost, not
//! the rows, is what limits a batch; a statement per batch removes it.
//!
//! Placeholders: PostgreSQL needs `$N`. SQLite reads `$N` too (the rest of
//! the store relies on that), but as a *named* parameter, and it resolves
//! names by a linear search at prepare and again at bind: quadratic in the
//! number of placeholders, which dominated a 2,000-value statement. So on
//! SQLite these statements use bare `?`, numbered by position. Either way
//! callers bind in the order the placeholders appear. Such statements
//! differ in text with their row count, so callers mark them not
//! persistent: they would only churn the prepared-statement cache.

use sqlx::AnyConnection;

/// How a backend spells the n-th placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite).
    Positional,
}

impl Style {
    pub(super) fn of(conn: &AnyConnection) -> Style {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Style::Positional
        } else {
            Style::Numbered
        }
    }

    fn push(self, out: &mut String, n: usize) {
        match self {
            Style::Positional => out.push('?'),
            Style::Numbered => {
                out.push('$');
                out.push_str(&n.to_string());
            }
        }
    }
}

/// Rows per statement for `columns` bound values a row: keeps a statement
/// well under the smaller backend limit on bound values (SQLite's 32,766;
/// PostgreSQL's 65,535) and its text short enough to prepare quickly.
pub(super) fn rows_per_statement(columns: usize) -> usize {
    const MAX_BOUND: usize = 2_000;
    (MAX_BOUND / columns.max(1)).max(1)
}

/// `($1, $2), ($3, $4)` for `rows` rows of `columns` placeholders each,
/// numbered from `first`. A column given in `literals` is written as that
/// SQL text instead of a placeholder (a constant every row shares).
pub(super) fn values(
    style: Style,
    first: usize,
    rows: usize,
    columns: usize,
    literals: &[(usize, &str)],
) -> String {
    let mut out = String::with_capacity(rows * (columns * 5 + 4));
    let mut n = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            match literals.iter().find(|(c, _)| *c == column) {
                Some((_, sql)) => out.push_str(sql),
                None => {
                    style.push(&mut out, n);
                    n += 1;
                }
            }
        }
        out.push(')');
    }
    out
}

/// An INSERT written once for any number of rows: the pool's multi-row
/// statements and the SQLite writer's single-row ones (`sqlite_direct.rs`)
/// share it, so the two cannot drift apart.
pub(super) struct Insert {
    /// `INSERT INTO t (a, b, …) VALUES `.
    pub head: &'static str,
    /// Columns every row fills with the same SQL text, by position.
    pub literals: &'static [(usize, &'static str)],
    /// What follows the rows (a conflict clause), or nothing.
    pub tail: &'static str,
}

impl Insert {
    /// The statement for `rows` rows.
    pub(super) fn sql(&self, style: Style, rows: usize) -> String {
        format!(
            "{}{}{}",
            self.head,
            values(style, 1, rows, self.columns(), self.literals),
            self.tail
        )
    }

    /// Values bound per row.
    pub(super) fn bound(&self) -> usize {
        self.columns() - self.literals.len()
    }

    /// Rows per statement (see [`rows_per_statement`]).
    pub(super) fn rows_per_statement(&self) -> usize {
        rows_per_statement(self.bound())
    }

    fn columns(&self) -> usize {
        self.head.matches(',').count() + 1
    }
}

/// `$first, $first+1, …`: `count` placeholders for an `IN (…)` list.
pub(super) fn list(style: Style, first: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 6);
    for n in first..first + count {
        if n > first {
            out.push_str(", ");
        }
        style.push(&mut out, n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_insert_counts_its_columns_from_its_head() {
        const T: Insert = Insert {
            head: "INSERT INTO t (a, b, c) VALUES ",
            literals: &[(1, "'x'")],
            tail: " ON CONFLICT DO NOTHING",
        };
        assert_eq!(T.bound(), 2);
        assert_eq!(
            T.sql(Style::Numbered, 2),
            "INSERT INTO t (a, b, c) VALUES ($1, 'x', $2), ($3, 'x', $4) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            T.sql(Style::Positional, 1),
            "INSERT INTO t (a, b, c) VALUES (?, 'x', ?) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn values_number_placeholders_across_rows_and_skip_literals() {
        use Style::*;
        assert_eq!(values(Numbered, 1, 2, 2, &[]), "($1, $2), ($3, $4)");
        assert_eq!(
            values(Numbered, 1, 2, 3, &[(1, "'x'")]),
            "($1, 'x', $2), ($3, 'x', $4)"
        );
        assert_eq!(values(Numbered, 3, 1, 1, &[]), "($3)");
        assert_eq!(
            values(Positional, 1, 2, 3, &[(1, "'x'")]),
            "(?, 'x', ?), (?, 'x', ?)"
        );
    }

    #[test]
    fn lists_start_where_told() {
        assert_eq!(list(Style::Numbered, 3, 3), "$3, $4, $5");
        assert_eq!(list(Style::Numbered, 1, 1), "$1");
        assert_eq!(list(Style::Positional, 3, 3), "?, ?, ?");
    }

    #[test]
    fn a_statement_stays_under_the_bound_value_limit() {
        for columns in [1, 8, 21, 2_500] {
            let rows = rows_per_statement(columns);
            assert!(rows == 1 || rows * columns <= 2_000, "{columns}: {rows}");
        }
    }

    #[tokio::test]
    async fn each_backend_gets_its_own_placeholders() -> anyhow::Result<()> {
        use super::super::Backend;
        use super::super::testing::test_stores;
        for store in test_stores().await? {
            let conn = store.pool().acquire().await?;
            let expected = match store.backend() {
                Backend::Sqlite => Style::Positional,
                Backend::Postgres => Style::Numbered,
            };
            assert_eq!(Style::of(&conn), expected, "{:?}", store.backend());
        }
        Ok(())
    }
}
