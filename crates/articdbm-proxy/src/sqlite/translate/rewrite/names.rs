//! Result-column names and type hints. PostgreSQL names an unaliased expression column after the
//! function or cast it is (`count`, `version`, `?column?`), SQLite after its text; the outermost
//! select list gets explicit aliases so clients see PostgreSQL's names. Expression columns have no
//! SQLite declared type, so a type OID is inferred where the expression says it (casts, `count`,
//! comparisons, `array_agg`...), looking through derived tables of the `FROM` clause; the same
//! inference renames `array_agg` of booleans to `array_agg_bool` (elements `t`/`f`).

use sqlparser::ast::{
    BinaryOperator, Expr, FunctionArguments, Query, Select, SelectItem, SetExpr, TableFactor,
    TableWithJoins, UnaryOperator, Value,
};

use super::expr::type_oid;
use super::template::{ident, last_name, plain_args};

const BOOL: u32 = 16;
const TIMESTAMPTZ: u32 = 1184;
const VOID: u32 = 2278;

/// An integer literal in int4's range (PostgreSQL types such a literal `integer`).
fn is_int4_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => {
            matches!(&v.value, Value::Number(n, _) if n.parse::<i32>().is_ok())
        }
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => is_int4_literal(expr),
        _ => false,
    }
}

/// `current_timestamp` in a select list: PostgreSQL's `timestamptz` with microseconds, as
/// `now()` gives (SQLite's own has whole seconds and no offset).
fn current_timestamp_as_now(e: &mut Expr) {
    if let Expr::Function(f) = e
        && matches!(f.args, FunctionArguments::None)
        && last_name(&f.name) == "current_timestamp"
    {
        f.name = sqlparser::ast::ObjectName::from(vec![ident("now")]);
        f.args = FunctionArguments::List(sqlparser::ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![],
            clauses: vec![],
        });
    }
}

/// PostgreSQL's name for an expression column (`FigureColname`).
fn figure(e: &Expr) -> String {
    match e {
        Expr::Identifier(id) => id.value.clone(),
        Expr::CompoundIdentifier(parts) => {
            parts.last().map(|p| p.value.clone()).unwrap_or_default()
        }
        Expr::Function(f) => {
            let n = last_name(&f.name);
            if n == "array" { "array".into() } else { n }
        }
        Expr::Cast {
            expr, data_type, ..
        } => match figure(expr).as_str() {
            "?column?" => type_oid(data_type)
                .and_then(|o| {
                    super::super::types::by_oid(o).map(|(t, arr)| {
                        if arr {
                            format!("_{}", t.name)
                        } else {
                            t.name.to_owned()
                        }
                    })
                })
                .unwrap_or_else(|| "?column?".into()),
            other => other.to_owned(),
        },
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure(inner),
        Expr::Case { .. } => "case".into(),
        Expr::Array(_) => "array".into(),
        Expr::Exists { .. } => "exists".into(),
        Expr::Substring { .. } => "substring".into(),
        Expr::Position { .. } => "position".into(),
        Expr::Trim { .. } => "btrim".into(),
        Expr::Extract { .. } => "extract".into(),
        Expr::Subquery(q) => first_item_name(q).unwrap_or_else(|| "?column?".into()),
        _ => "?column?".into(),
    }
}

fn first_item_name(q: &Query) -> Option<String> {
    let s = leftmost_select(q)?;
    match s.projection.first()? {
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
        SelectItem::UnnamedExpr(e) => Some(figure(e)),
        _ => None,
    }
}

fn leftmost_select(q: &Query) -> Option<&Select> {
    let mut body = q.body.as_ref();
    loop {
        match body {
            SetExpr::Select(s) => return Some(s),
            SetExpr::SetOperation { left, .. } => body = left,
            SetExpr::Query(inner) => body = &inner.body,
            _ => return None,
        }
    }
}

fn is_bool_valued(e: &Expr) -> bool {
    match e {
        Expr::BinaryOp { op, .. } => matches!(
            op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
                | BinaryOperator::And
                | BinaryOperator::Or
                | BinaryOperator::PGRegexMatch
                | BinaryOperator::PGRegexIMatch
                | BinaryOperator::PGRegexNotMatch
                | BinaryOperator::PGRegexNotIMatch
        ),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            ..
        } => true,
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..)
        | Expr::In { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::Exists { .. }
        | Expr::AnyOp { .. }
        | Expr::AllOp { .. } => true,
        Expr::Value(v) => matches!(v.value, Value::Boolean(_)),
        _ => false,
    }
}

/// The output expression named `col` of a derived table in `from` (qualified by `table` if given).
fn derived_column<'a>(
    from: &'a [TableWithJoins],
    table: Option<&str>,
    col: &str,
) -> Option<(&'a Expr, &'a [TableWithJoins])> {
    let factors = from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for f in factors {
        let TableFactor::Derived {
            subquery, alias, ..
        } = f
        else {
            continue;
        };
        if let Some(t) = table
            && alias
                .as_ref()
                .is_none_or(|a| !a.name.value.eq_ignore_ascii_case(t))
        {
            continue;
        }
        let Some(s) = leftmost_select(subquery) else {
            continue;
        };
        for item in &s.projection {
            let (e, name) = match item {
                SelectItem::ExprWithAlias { expr, alias } => (expr, alias.value.clone()),
                SelectItem::UnnamedExpr(e) => (e, figure(e)),
                _ => continue,
            };
            if name.eq_ignore_ascii_case(col) {
                return Some((e, &s.from));
            }
        }
    }
    None
}

/// The PostgreSQL type OID an expression evidently has, if any.
pub(crate) fn hint(e: &Expr, from: &[TableWithJoins]) -> Option<u32> {
    if is_bool_valued(e) {
        return Some(BOOL);
    }
    match e {
        Expr::Nested(inner) => hint(inner, from),
        Expr::Cast { data_type, .. } => match type_oid(data_type)? {
            2205 | 2206 | 4089 | 24 => Some(25),
            oid => Some(oid),
        },
        Expr::Identifier(id) => {
            let (e, f) = derived_column(from, None, &id.value)?;
            hint(e, f)
        }
        Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
            let (e, f) = derived_column(from, Some(&parts[0].value), &parts[1].value)?;
            hint(e, f)
        }
        Expr::Function(f) => {
            let name = last_name(&f.name);
            let args = plain_args(f).unwrap_or_default();
            match name.as_str() {
                "count" => Some(20),
                "bool_and" | "bool_or" | "every" | "pg_table_is_visible" | "pg_bool" => Some(BOOL),
                "array" => Some(1009),
                "array_agg" => Some(match args.first().and_then(|a| hint(a, from)) {
                    Some(BOOL) => 1000,
                    Some(20 | 21 | 23 | 26) => 1016,
                    _ => 1009,
                }),
                "min" | "max" | "coalesce" => args.first().and_then(|a| hint(a, from)),
                "now"
                | "current_timestamp"
                | "statement_timestamp"
                | "transaction_timestamp"
                | "clock_timestamp" => Some(TIMESTAMPTZ),
                "localtimestamp" => Some(1114),
                "current_date" => Some(1082),
                "pg_sleep" => Some(VOID),
                "generate_series" => Some(if args.iter().all(is_int4_literal) {
                    23
                } else {
                    20
                }),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Renames `array_agg` of booleans in this select's list to `array_agg_bool`.
pub(crate) fn mark_bool_arrays(s: &mut Select) {
    let from = s.from.clone();
    for item in &mut s.projection {
        let e = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => continue,
        };
        if let Expr::Function(f) = e
            && last_name(&f.name) == "array_agg"
            && matches!(f.args, FunctionArguments::List(_))
            && plain_args(f).and_then(|a| a.first().and_then(|a| hint(a, &from))) == Some(BOOL)
        {
            f.name = sqlparser::ast::ObjectName::from(vec![ident("array_agg_bool")]);
        }
    }
}

/// A top-level `x::regclass` shows the name, as PostgreSQL's output function does.
fn reg_to_name(e: &mut Expr) {
    if let Expr::Cast { data_type, .. } = e
        && matches!(type_oid(data_type), Some(2205 | 2206 | 4089))
    {
        let inner = e.clone();
        *e = Expr::Cast {
            kind: sqlparser::ast::CastKind::Cast,
            expr: Box::new(inner),
            data_type: sqlparser::ast::DataType::Text,
            format: None,
        };
    }
}

/// Names the outermost select list as PostgreSQL would and returns per-column type hints
/// (empty when the list has a wildcard).
pub(crate) fn name_outputs(q: &mut Query) -> Vec<Option<u32>> {
    let mut body = q.body.as_mut();
    loop {
        match body {
            SetExpr::SetOperation { left, .. } => body = left.as_mut(),
            SetExpr::Query(inner) => body = inner.body.as_mut(),
            _ => break,
        }
    }
    let SetExpr::Select(s) = body else {
        return vec![];
    };
    let from = s.from.clone();
    let mut hints = Vec::with_capacity(s.projection.len());
    for item in &mut s.projection {
        match item {
            SelectItem::UnnamedExpr(e) => {
                hints.push(hint(e, &from));
                reg_to_name(e);
                if !matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                    let name = figure(e);
                    let mut expr = e.clone();
                    current_timestamp_as_now(&mut expr);
                    *item = SelectItem::ExprWithAlias {
                        expr,
                        alias: sqlparser::ast::Ident::with_quote('"', name),
                    };
                }
            }
            SelectItem::ExprWithAlias { expr, .. } => {
                hints.push(hint(expr, &from));
                reg_to_name(expr);
                current_timestamp_as_now(expr);
            }
            _ => return vec![],
        }
    }
    hints
}
