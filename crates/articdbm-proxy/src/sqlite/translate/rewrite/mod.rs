//! The AST pass that turns one parsed PostgreSQL statement into SQLite SQL: statement-level DDL
//! rewrites ([`ddl`]), output names and type hints ([`names`]), then one `VisitorMut` walk doing
//! relation names and query shapes ([`query`]) and expressions ([`expr`]).

mod ddl;
mod expr;
mod names;
mod query;
pub(crate) mod template;

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, ObjectName, Query, Select, Statement, TableFactor, VisitMut, VisitorMut,
};

/// The result of rewriting one statement.
#[derive(Debug)]
pub(crate) struct Rewritten {
    /// The SQLite text (printed from the rewritten AST).
    pub sql: String,
    /// Whether the rewritten statement prints differently from the parsed one.
    pub changed: bool,
    /// Highest `$n` seen.
    pub param_count: usize,
    /// Type OIDs of `$n` parameters from their casts (index n-1).
    pub param_types: Vec<Option<u32>>,
    /// Type hints of the result columns (empty when unknown).
    pub column_types: Vec<Option<u32>>,
}

#[derive(Default)]
struct Rewriter {
    param_count: usize,
    param_types: Vec<Option<u32>>,
}

impl Rewriter {
    fn note_param(&mut self, n: usize, oid: Option<u32>) {
        if n > super::MAX_PARAMS {
            return;
        }
        self.param_count = self.param_count.max(n);
        if let Some(oid) = oid {
            if self.param_types.len() < n {
                self.param_types.resize(n, None);
            }
            if let Some(slot) = self.param_types.get_mut(n - 1)
                && slot.is_none()
            {
                *slot = Some(oid);
            }
        }
    }
}

impl VisitorMut for Rewriter {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        query::rewrite_relation(relation);
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, t: &mut TableFactor) -> ControlFlow<()> {
        query::rewrite_table_factor(t);
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, s: &mut Select) -> ControlFlow<()> {
        names::mark_bool_arrays(s);
        query::rewrite_select_srfs(s);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        q.locks.clear();
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Some((n, oid)) = expr::rewrite_cast(e)
            && n > 0
        {
            self.note_param(n, Some(oid));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Some(n) = expr::rewrite_post(e)
            && n > 0
        {
            self.note_param(n, None);
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites a parsed statement.
pub(crate) fn rewrite(mut stmt: Statement) -> Rewritten {
    let before = stmt.to_string();
    ddl::rewrite(&mut stmt);
    let column_types = match &mut stmt {
        Statement::Query(q) => names::name_outputs(q),
        _ => vec![],
    };
    let mut r = Rewriter::default();
    let _ = stmt.visit(&mut r);
    let sql = stmt.to_string();
    let mut param_types = r.param_types;
    param_types.resize(r.param_count, None);
    Rewritten {
        changed: sql != before,
        sql,
        param_count: r.param_count,
        param_types,
        column_types,
    }
}
