//! Building AST fragments from SQL text: a fixed PostgreSQL-syntax template with placeholders
//! `__1`, `__2`... that are replaced by already-rewritten expressions, and small constructors for
//! identifiers and function calls.

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    Join, ObjectName, ObjectNamePart, Query, SetExpr, VisitMut, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

/// Replaces `__n` identifiers with the n-th argument.
struct Fill<'a>(&'a [Expr]);

impl VisitorMut for Fill<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Identifier(id) = expr
            && let Some(n) = id.value.strip_prefix("__")
            && let Ok(n) = n.parse::<usize>()
            && let Some(arg) = n.checked_sub(1).and_then(|i| self.0.get(i))
        {
            *expr = arg.clone();
        }
        ControlFlow::Continue(())
    }
}

/// Replaces the `__n` placeholders in `e` with `args`.
pub(crate) fn fill(e: &mut Expr, args: &[Expr]) {
    let _ = e.visit(&mut Fill(args));
}

/// An expression from a template; `None` only if the (fixed) template does not parse.
pub(crate) fn expr(template: &str, args: &[Expr]) -> Option<Expr> {
    let mut e = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(template)
        .ok()?
        .parse_expr()
        .ok()?;
    let _ = e.visit(&mut Fill(args));
    Some(e)
}

/// The first join of `SELECT 1 FROM t <template>`, placeholders filled.
pub(crate) fn join(template: &str, args: &[Expr]) -> Option<Join> {
    let sql = format!("SELECT 1 FROM __t {template}");
    let mut q: Query = *Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .ok()?
        .parse_query()
        .ok()?;
    let _ = q.visit(&mut Fill(args));
    match *q.body {
        SetExpr::Select(mut s) => s.from.pop()?.joins.into_iter().next(),
        _ => None,
    }
}

/// An unquoted identifier.
pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name)
}

/// `name(args...)`.
pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName(vec![ObjectNamePart::Identifier(ident(name))]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// The plain expression arguments of a function call (named or wildcard arguments: `None`).
pub(crate) fn plain_args(f: &Function) -> Option<Vec<Expr>> {
    match &f.args {
        FunctionArguments::None => Some(vec![]),
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                _ => None,
            })
            .collect(),
        FunctionArguments::Subquery(_) => None,
    }
}

/// The last part of a function or relation name, lower-case.
pub(crate) fn last_name(name: &ObjectName) -> String {
    match name.0.last() {
        Some(ObjectNamePart::Identifier(id)) => id.value.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// The first part of a multi-part name, lower-case (`None` for a one-part name).
pub(crate) fn schema_of(name: &ObjectName) -> Option<String> {
    if name.0.len() < 2 {
        return None;
    }
    match name.0.first() {
        Some(ObjectNamePart::Identifier(id)) => Some(id.value.to_ascii_lowercase()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_placeholders() {
        let a = Expr::Identifier(ident("a"));
        let e = expr("__1 IN (SELECT value FROM json_each(__2))", &[a.clone(), a]).expect("parses");
        assert_eq!(e.to_string(), "a IN (SELECT value FROM json_each(a))");
        let j = join("JOIN json_each(__1) AS __srf0", &[call("f", vec![])]).expect("join");
        assert_eq!(j.to_string(), "JOIN json_each(f()) AS __srf0");
    }
}
