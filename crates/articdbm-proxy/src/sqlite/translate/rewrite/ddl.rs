//! DDL rewrites: column types in `CREATE TABLE` (`SERIAL`/`BIGSERIAL`/`SMALLSERIAL` and
//! identity columns become `INTEGER`, so a primary key on them is the rowid; arrays become
//! `_elem`), column defaults SQLite accepts (`nextval(..)` dropped, `now()` as
//! `CURRENT_TIMESTAMP`, other expressions parenthesised), PostgreSQL-only index options, `DROP ..
//! CASCADE`, and `TRUNCATE` as `DELETE`.

use sqlparser::ast::{
    ColumnOption, CreateIndex, CreateTable, DataType, Expr, ObjectName, Statement,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::super::types;
use super::expr::type_oid;
use super::template::{ident, last_name};

fn integer() -> DataType {
    DataType::Custom(ObjectName::from(vec![ident("INTEGER")]), vec![])
}

/// The declared type written for a PostgreSQL column type.
fn column_type(dt: &DataType) -> Option<DataType> {
    if let DataType::Custom(name, _) = dt
        && matches!(
            last_name(name).as_str(),
            "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
        )
    {
        return Some(integer());
    }
    if let DataType::Array(_) = dt {
        let elem = type_oid(dt)
            .and_then(types::by_oid)
            .map_or("TEXT".to_owned(), |(t, _)| t.name.to_ascii_uppercase());
        return Some(DataType::Custom(
            ObjectName::from(vec![ident(&format!("_{elem}"))]),
            vec![],
        ));
    }
    None
}

fn is_literal(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => true,
        Expr::UnaryOp { expr, .. } => matches!(expr.as_ref(), Expr::Value(_)),
        _ => false,
    }
}

/// `DEFAULT` as SQLite accepts it; `None` drops it.
fn column_default(e: &Expr) -> Option<Expr> {
    if let Expr::Function(f) = e {
        match last_name(&f.name).as_str() {
            "nextval" => return None,
            "now"
            | "current_timestamp"
            | "localtimestamp"
            | "transaction_timestamp"
            | "statement_timestamp" => {
                return Some(Expr::Function(sqlparser::ast::Function {
                    name: ObjectName::from(vec![ident("CURRENT_TIMESTAMP")]),
                    args: sqlparser::ast::FunctionArguments::None,
                    ..f.clone()
                }));
            }
            "current_date" | "current_time" => return Some(e.clone()),
            _ => {}
        }
    }
    if is_literal(e) {
        Some(e.clone())
    } else {
        Some(Expr::Nested(Box::new(e.clone())))
    }
}

fn create_table(ct: &mut CreateTable) {
    for col in &mut ct.columns {
        let identity = col.options.iter().any(|o| {
            matches!(
                o.option,
                ColumnOption::Generated {
                    generation_expr: None,
                    ..
                } | ColumnOption::Identity(_)
            )
        });
        if identity {
            col.data_type = integer();
        } else if let Some(t) = column_type(&col.data_type) {
            col.data_type = t;
        }
        col.options.retain_mut(|o| match &mut o.option {
            ColumnOption::Generated {
                generation_expr: None,
                ..
            }
            | ColumnOption::Identity(_)
            | ColumnOption::Collation(_)
            | ColumnOption::Comment(_) => false,
            ColumnOption::Default(e) => match column_default(e) {
                Some(d) => {
                    *e = d;
                    true
                }
                None => false,
            },
            _ => true,
        });
    }
}

fn create_index(ci: &mut CreateIndex) {
    ci.using = None;
    ci.concurrently = false;
    ci.include.clear();
    ci.nulls_distinct = None;
    ci.with.clear();
    for c in &mut ci.columns {
        c.operator_class = None;
    }
}

/// Statement-level DDL rewrites, applied before the expression pass.
pub(crate) fn rewrite(stmt: &mut Statement) {
    match stmt {
        Statement::CreateTable(ct) => create_table(ct),
        Statement::CreateIndex(ci) => create_index(ci),
        Statement::Drop {
            cascade, restrict, ..
        } => {
            *cascade = false;
            *restrict = false;
        }
        Statement::Truncate(t) if t.table_names.len() == 1 => {
            let name = t.table_names[0].name.to_string();
            if let Ok(mut parsed) =
                Parser::parse_sql(&PostgreSqlDialect {}, &format!("DELETE FROM {name}"))
                && let Some(delete) = parsed.pop()
            {
                *stmt = delete;
            }
        }
        _ => {}
    }
}
