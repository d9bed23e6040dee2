//! Query-shape rewrites: derived tables with column aliases (`(VALUES ..) AS t(a, b)`, the
//! SQLAlchemy insertmanyvalues form), table functions in `FROM` (`generate_series`, `unnest`,
//! `pg_partition_ancestors`), set-returning `unnest(..)`/`generate_subscripts(..)` in a select
//! list (turned into `json_each` joins), `information_schema.x` names, and `FOR UPDATE`.

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, ObjectName, ObjectNamePart, Query, Select,
    SelectItem, SetExpr, TableAlias, TableFactor, TableWithJoins,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::template::{self, ident, last_name, plain_args, schema_of};

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Parses `SELECT 1 FROM (<select>) AS __a`, fills placeholders and returns the derived table
/// with `alias` (its column list dropped: the select names the columns).
fn derived(select: &str, args: &[Expr], alias: Option<&TableAlias>) -> Option<TableFactor> {
    let sql = format!("SELECT 1 FROM ({select}) AS __a");
    let q: Query = *Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .ok()?
        .parse_query()
        .ok()?;
    let SetExpr::Select(mut s) = *q.body else {
        return None;
    };
    let mut factor = s.from.pop()?.relation;
    let filled = match &mut factor {
        TableFactor::Derived {
            subquery, alias: a, ..
        } => {
            let mut e = Expr::Subquery(subquery.clone());
            template::fill(&mut e, args);
            if let Expr::Subquery(sq) = e {
                *subquery = sq;
            }
            *a = Some(match alias {
                Some(al) => TableAlias {
                    explicit: true,
                    name: al.name.clone(),
                    columns: vec![],
                    at: None,
                },
                None => TableAlias {
                    explicit: true,
                    name: ident("__a"),
                    columns: vec![],
                    at: None,
                },
            });
            true
        }
        _ => false,
    };
    filled.then_some(factor)
}

fn table_fn_args(args: &[FunctionArg]) -> Option<Vec<Expr>> {
    args.iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("__{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renames the output columns of a query positionally (`AS t(a, b)`); false if impossible.
fn rename_columns(q: &mut Query, names: &[Ident]) -> bool {
    let mut body = q.body.as_mut();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            SetExpr::Query(inner) => body = inner.body.as_mut(),
            _ => break,
        }
    }
    match body {
        SetExpr::Select(s) => {
            if s.projection.len() < names.len()
                || s.projection.iter().any(|p| {
                    matches!(
                        p,
                        SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                    )
                })
            {
                return false;
            }
            for (item, name) in s.projection.iter_mut().zip(names) {
                let expr = match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        e.clone()
                    }
                    _ => return false,
                };
                *item = SelectItem::ExprWithAlias {
                    expr,
                    alias: name.clone(),
                };
            }
            true
        }
        SetExpr::Values(v) => {
            let Some(width) = v.rows.first().map(|r| r.content.len()) else {
                return false;
            };
            let cols: Vec<String> = (1..=width)
                .map(|i| match names.get(i - 1) {
                    Some(n) => format!("column{i} AS {}", quoted(&n.value)),
                    None => format!("column{i}"),
                })
                .collect();
            let values = SetExpr::Values(v.clone());
            let sql = format!("SELECT {} FROM (SELECT 1)", cols.join(", "));
            let Ok(mut parsed) = Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&sql)
                .and_then(|mut p| p.parse_query())
            else {
                return false;
            };
            let SetExpr::Select(s) = parsed.body.as_mut() else {
                return false;
            };
            let Some(TableFactor::Derived { subquery, .. }) =
                s.from.first_mut().map(|t| &mut t.relation)
            else {
                return false;
            };
            *subquery.body = values;
            *body = *parsed.body;
            true
        }
        _ => false,
    }
}

/// Rewrites one `FROM` item (pre-order).
pub(crate) fn rewrite_table_factor(t: &mut TableFactor) {
    match t {
        TableFactor::Table {
            name, alias, args, ..
        } => {
            if args.is_none() {
                if schema_of(name).as_deref() == Some("information_schema") && alias.is_none() {
                    *alias = Some(TableAlias {
                        explicit: true,
                        name: ident(&last_name(name)),
                        columns: vec![],
                        at: None,
                    });
                }
                return;
            }
            let quoted_name = matches!(
                name.0.last(),
                Some(ObjectNamePart::Identifier(id)) if id.quote_style.is_some()
            );
            if quoted_name {
                return;
            }
            let fname = last_name(name);
            let Some(fargs) = args.as_ref().and_then(|a| table_fn_args(&a.args)) else {
                return;
            };
            let col = |default: &str| -> String {
                alias
                    .as_ref()
                    .and_then(|a| a.columns.first().map(|c| c.name.value.clone()))
                    .or_else(|| alias.as_ref().map(|a| a.name.value.clone()))
                    .unwrap_or_else(|| default.to_owned())
            };
            let replacement = match fname.as_str() {
                "generate_series" if (2..=3).contains(&fargs.len()) => derived(
                    &format!(
                        "SELECT value AS {} FROM \"generate_series\"({})",
                        quoted(&col("generate_series")),
                        placeholders(fargs.len())
                    ),
                    &fargs,
                    alias.as_ref(),
                ),
                "unnest" if fargs.len() == 1 => derived(
                    &format!(
                        "SELECT value AS {} FROM json_each(pg_array_json(__1))",
                        quoted(&col("unnest"))
                    ),
                    &fargs,
                    alias.as_ref(),
                ),
                "pg_partition_ancestors" if fargs.len() == 1 => {
                    let cols: Vec<String> = alias
                        .as_ref()
                        .map(|a| a.columns.iter().map(|c| quoted(&c.name.value)).collect())
                        .unwrap_or_default();
                    let relid = cols.first().cloned().unwrap_or_else(|| quoted("relid"));
                    let depth = cols.get(1).cloned().unwrap_or_else(|| quoted("ordinality"));
                    derived(
                        &format!("SELECT __1 AS {relid}, 1 AS {depth}"),
                        &fargs,
                        alias.as_ref(),
                    )
                }
                _ => None,
            };
            if let Some(r) = replacement {
                *t = r;
            }
        }
        TableFactor::UNNEST {
            alias, array_exprs, ..
        } if array_exprs.len() == 1 => {
            let col = alias
                .as_ref()
                .and_then(|a| a.columns.first().map(|c| c.name.value.clone()))
                .or_else(|| alias.as_ref().map(|a| a.name.value.clone()))
                .unwrap_or_else(|| "unnest".to_owned());
            if let Some(r) = derived(
                &format!(
                    "SELECT value AS {} FROM json_each(pg_array_json(__1))",
                    quoted(&col)
                ),
                array_exprs,
                alias.as_ref(),
            ) {
                *t = r;
            }
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            if let Some(a) = alias
                && !a.columns.is_empty()
            {
                let names: Vec<Ident> = a.columns.iter().map(|c| c.name.clone()).collect();
                if rename_columns(subquery, &names) {
                    a.columns.clear();
                }
            }
        }
        _ => {}
    }
}

/// A set-returning call in a select item.
enum Srf {
    /// `unnest(array)` or `generate_subscripts(array, dim)` (`subscripts`).
    Array { array: Box<Expr>, subscripts: bool },
    /// `generate_series(start, stop [, step])` over integers.
    Series(Vec<Expr>),
}

/// The set-returning call in a select item.
fn srf_of(e: &Expr) -> Option<Srf> {
    let inner = match e {
        Expr::Cast { expr, .. } => expr.as_ref(),
        other => other,
    };
    let Expr::Function(f) = inner else {
        return None;
    };
    let args = plain_args(f)?;
    match (last_name(&f.name).as_str(), args.as_slice()) {
        ("unnest", [a]) => Some(Srf::Array {
            array: Box::new(a.clone()),
            subscripts: false,
        }),
        ("generate_subscripts", [a, _]) => Some(Srf::Array {
            array: Box::new(a.clone()),
            subscripts: true,
        }),
        ("generate_series", [_, _] | [_, _, _]) => Some(Srf::Series(args)),
        _ => None,
    }
}

/// Set-returning functions in the select list become joins (pre-order): arrays with
/// `json_each`, `generate_series` with SQLite's table-valued `generate_series`; a second one
/// lines up with the first by position, as PostgreSQL runs them in lockstep.
pub(crate) fn rewrite_select_srfs(s: &mut Select) {
    let mut arrays: Vec<String> = Vec::new();
    // The joined sources: `(json_each's argument or series arguments, is_series)`.
    let mut sources: Vec<(Vec<Expr>, bool)> = Vec::new();
    for item in &mut s.projection {
        let e = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => continue,
        };
        let Some(srf) = srf_of(e) else {
            continue;
        };
        let (col, name) = match srf {
            Srf::Array { array, subscripts } => {
                let key = array.to_string();
                let k = match arrays.iter().position(|a| *a == key) {
                    Some(k) => k,
                    None => {
                        arrays.push(key);
                        sources.push((vec![*array], false));
                        sources.len() - 1
                    }
                };
                if subscripts {
                    (format!("__srf{k}.key + 1"), "generate_subscripts")
                } else {
                    (format!("__srf{k}.value"), "unnest")
                }
            }
            Srf::Series(args) => {
                // Series are never shared: keep the array positions distinct from them.
                arrays.push(String::new());
                sources.push((args, true));
                (
                    format!("__srf{}.value", sources.len() - 1),
                    "generate_series",
                )
            }
        };
        let Some(replacement) = template::expr(&col, &[]) else {
            continue;
        };
        match e {
            Expr::Cast { expr, .. } => **expr = replacement,
            other => *other = replacement,
        }
        if let SelectItem::UnnamedExpr(_) = item {
            // keep PostgreSQL's column name (the function's) for the client
            if let SelectItem::UnnamedExpr(e) = std::mem::replace(
                item,
                SelectItem::Wildcard(sqlparser::ast::WildcardAdditionalOptions::default()),
            ) {
                *item = SelectItem::ExprWithAlias {
                    expr: e,
                    alias: ident(name),
                };
            }
        }
    }
    for (k, (args, series)) in sources.into_iter().enumerate() {
        let source = if series {
            format!(
                "(SELECT value, row_number() OVER () - 1 AS key FROM \"generate_series\"({}))",
                placeholders(args.len())
            )
        } else {
            "json_each(pg_array_json(__1))".to_owned()
        };
        let join = if k == 0 {
            template::join(&format!("JOIN {source} AS __srf0"), &args)
        } else {
            template::join(
                &format!("LEFT JOIN {source} AS __srf{k} ON __srf{k}.key = __srf0.key"),
                &args,
            )
        };
        let Some(join) = join else { continue };
        match s.from.last_mut() {
            Some(twj) => twj.joins.push(join),
            None => s.from.push(TableWithJoins {
                relation: join.relation,
                joins: vec![],
            }),
        }
    }
}

/// `pg_catalog.x` / `public.x` → `x`; `information_schema.x` → `information_schema_x`.
pub(crate) fn rewrite_relation(name: &mut ObjectName) {
    match schema_of(name).as_deref() {
        Some("pg_catalog" | "public") if name.0.len() == 2 => {
            name.0.remove(0);
        }
        Some("information_schema") if name.0.len() == 2 => {
            let view = format!("information_schema_{}", last_name(name));
            name.0 = vec![ObjectNamePart::Identifier(ident(&view))];
        }
        _ => {}
    }
}
