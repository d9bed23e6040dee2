//! Expression rewrites from PostgreSQL to SQLite: `$n` placeholders, casts (`::type`,
//! `::regclass`, `::regtype::text`...), `= ANY(..)`/`<> ALL(..)`, regular-expression and
//! `ILIKE` operators, `E''` and dollar-quoted strings, array literals and subscripts, `COLLATE`,
//! `SUBSTRING`/`POSITION`, typed literals, and function calls (schema-qualified, keyword-style
//! such as `current_user`, PostgreSQL-only names, catalog lookups done as subqueries).

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, DataType, Expr, FunctionArguments, InTarget, ObjectName,
    ObjectNamePart, SelectItem, SetExpr, Subscript, TableFactor, UnaryOperator, Value,
};

use super::super::types;
use super::template::{call, expr as tpl, ident, last_name, plain_args};

/// How a PostgreSQL cast is done on SQLite.
enum CastTo {
    /// `CAST(x AS <sqlite type>)`.
    Sqlite(&'static str),
    /// `<function>(x)`: a checked cast of `checked` (`pg_int4`, `pg_bool_in`...), which
    /// raises PostgreSQL's 22P02 / 22003 where SQLite's CAST would make 0 of a bad text.
    Checked(&'static str),
    /// `pg_date(date(x), x)`.
    Date,
    /// `pg_regclass_oid(x)`.
    RegClass,
    /// `pg_regtype_oid(x)`.
    RegType,
    /// `x` unchanged (SQLite has no such type; the value already has the right form).
    Identity,
}

/// The PostgreSQL type OID a cast target names, if it is a known built-in type.
pub(crate) fn type_oid(dt: &DataType) -> Option<u32> {
    types::oid_by_name(&dt.to_string())
}

fn cast_to(dt: &DataType) -> CastTo {
    if dt.to_string().eq_ignore_ascii_case("blob") {
        return CastTo::Sqlite("BLOB");
    }
    match type_oid(dt) {
        Some(16) => CastTo::Checked("pg_bool_in"),
        Some(20) => CastTo::Checked("pg_int8"),
        Some(21) => CastTo::Checked("pg_int2"),
        Some(23) => CastTo::Checked("pg_int4"),
        Some(26 | 28 | 29) => CastTo::Sqlite("INTEGER"),
        Some(700) => CastTo::Checked("pg_float4"),
        Some(701) => CastTo::Checked("pg_float8"),
        Some(1700) => CastTo::Checked("pg_numeric"),
        Some(790) => CastTo::Sqlite("NUMERIC"),
        Some(18 | 19 | 25 | 1042 | 1043) => CastTo::Sqlite("TEXT"),
        Some(1082) => CastTo::Date,
        Some(2205) => CastTo::RegClass,
        Some(2206) => CastTo::RegType,
        _ => CastTo::Identity,
    }
}

fn is_texty(dt: &DataType) -> bool {
    matches!(type_oid(dt), Some(19 | 25 | 1042 | 1043))
}

/// The name (as text) of a `::regclass`/`::regtype`/`::regnamespace` value.
pub(crate) fn reg_name(reg: u32, x: Expr) -> Option<Expr> {
    match reg {
        2205 => tpl(
            "COALESCE((SELECT __l.__name FROM _pg_lookup_rel AS __l WHERE __l.__oid = pg_regclass_oid(__1)), CAST(__1 AS TEXT))",
            &[x],
        ),
        2206 => Some(call("pg_regtype_name", vec![x])),
        4089 => Some(call("pg_regnamespace_name", vec![x])),
        _ => None,
    }
}

/// Pre-order handling of casts; returns the parameter number and type OID for `$n::type`.
pub(crate) fn rewrite_cast(e: &mut Expr) -> Option<(usize, u32)> {
    let mut hint = None;
    loop {
        let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = e
        else {
            return hint;
        };
        if let Expr::Value(v) = inner.as_ref()
            && let Value::Placeholder(p) = &v.value
            && let Some(n) = p
                .strip_prefix('$')
                .or_else(|| p.strip_prefix('?'))
                .and_then(|n| n.parse().ok())
            && let Some(oid) = type_oid(data_type)
        {
            hint = Some((n, oid));
        }
        // x::regclass::text and friends: the object's name.
        if is_texty(data_type)
            && let Expr::Cast {
                expr: x,
                data_type: reg,
                ..
            } = inner.as_ref()
            && let Some(reg_oid @ (2205 | 2206 | 4089)) = type_oid(reg)
            && let Some(name) = reg_name(reg_oid, (**x).clone())
        {
            *e = name;
            return hint;
        }
        let target = cast_to(data_type);
        let x = std::mem::replace(inner.as_mut(), Expr::Value(Value::Null.into()));
        *e = match target {
            CastTo::Sqlite(t) => Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(x),
                data_type: DataType::Custom(ObjectName::from(vec![ident(t)]), vec![]),
                format: None,
            },
            CastTo::Checked(f) => call(f, vec![x]),
            CastTo::Date => call("pg_date", vec![call("date", vec![x.clone()]), x]),
            CastTo::RegClass => call("pg_regclass_oid", vec![x]),
            CastTo::RegType => call("pg_regtype_oid", vec![x]),
            CastTo::Identity => {
                // The inner expression may itself be a PostgreSQL cast: handle it too.
                *e = x;
                continue;
            }
        };
        return hint;
    }
}

fn regexp(pattern: Expr, text: Expr, insensitive: bool, negated: bool) -> Expr {
    let pattern = if insensitive {
        Expr::BinaryOp {
            left: Box::new(Expr::Value(Value::SingleQuotedString("(?i)".into()).into())),
            op: BinaryOperator::StringConcat,
            right: Box::new(pattern),
        }
    } else {
        pattern
    };
    let call = call("regexp", vec![pattern, text]);
    if negated {
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr: Box::new(call),
        }
    } else {
        call
    }
}

/// Elements of an array literal already rewritten to `pg_array(..)`.
fn array_elems(e: &Expr) -> Option<Vec<Expr>> {
    match e {
        Expr::Function(f) if last_name(&f.name) == "pg_array" => plain_args(f),
        Expr::Array(a) => Some(a.elem.clone()),
        _ => None,
    }
}

fn any_all(left: Expr, op: &BinaryOperator, right: Expr, all: bool) -> Option<Expr> {
    let in_list = |negated| {
        array_elems(&right).map(|list| Expr::In {
            expr: Box::new(left.clone()),
            target: InTarget::List(list),
            negated,
            global: false,
        })
    };
    match (op, all) {
        (BinaryOperator::Eq, false) => in_list(false).or_else(|| {
            tpl(
                "__1 IN (SELECT value FROM json_each(pg_array_json(__2)))",
                &[left.clone(), right.clone()],
            )
        }),
        (BinaryOperator::NotEq, true) => in_list(true).or_else(|| {
            tpl(
                "__1 NOT IN (SELECT value FROM json_each(pg_array_json(__2)))",
                &[left.clone(), right.clone()],
            )
        }),
        (op, all) => {
            let arr = match array_elems(&right) {
                Some(elems) => call("pg_array", elems),
                None => right.clone(),
            };
            let cmp = format!("__1 {op} __j.value");
            let sql = if all {
                format!(
                    "NOT EXISTS (SELECT 1 FROM json_each(pg_array_json(__2)) AS __j WHERE NOT ({cmp}))"
                )
            } else {
                format!("EXISTS (SELECT 1 FROM json_each(pg_array_json(__2)) AS __j WHERE {cmp})")
            };
            tpl(&sql, &[left, arr])
        }
    }
}

/// PostgreSQL function names with a different SQLite name.
fn renamed(name: &str) -> Option<&'static str> {
    Some(match name {
        "json_build_object" | "jsonb_build_object" => "json_object",
        "json_build_array" | "jsonb_build_array" => "json_array",
        "json_agg" | "jsonb_agg" => "json_group_array",
        "json_object_agg" | "jsonb_object_agg" => "json_group_object",
        "bool_and" | "every" => "min",
        "bool_or" => "max",
        "current_catalog" => "current_database",
        "localtimestamp" => "CURRENT_TIMESTAMP",
        "localtime" => "CURRENT_TIME",
        "char_length" | "character_length" => "length",
        "strpos" => "instr",
        _ => return None,
    })
}

/// Function-call rewrites (post-order).
fn rewrite_function(e: &mut Expr) {
    let Expr::Function(f) = e else { return };
    let name = last_name(&f.name);
    if f.name.0.len() > 1 {
        f.name = ObjectName(vec![ObjectNamePart::Identifier(ident(&name))]);
    }
    let no_parens = matches!(f.args, FunctionArguments::None);
    if no_parens
        && matches!(
            name.as_str(),
            "current_user" | "session_user" | "user" | "current_role" | "current_schema"
        )
    {
        *e = call(&name, vec![]);
        return;
    }
    let args = plain_args(f).unwrap_or_default();
    let arg = |i: usize| args.get(i).cloned();
    let replaced = match name.as_str() {
        "pg_get_constraintdef" => arg(0).and_then(|x| {
            tpl(
                "(SELECT __l.__def FROM _pg_lookup_con AS __l WHERE __l.__oid = __1)",
                &[x],
            )
        }),
        "pg_get_indexdef" => arg(0).and_then(|x| {
            let col = arg(1).unwrap_or(Expr::Value(Value::Number("0".into(), false).into()));
            tpl(
                "(SELECT CASE WHEN COALESCE(__2, 0) = 0 THEN __l.__def \
                 ELSE pg_array_get(__l.__cols, __2) END \
                 FROM _pg_lookup_idx AS __l WHERE __l.__oid = __1)",
                &[x, col],
            )
        }),
        "pg_get_viewdef" => arg(0).and_then(|x| {
            tpl(
                "(SELECT __l.__viewdef FROM _pg_lookup_rel AS __l WHERE __l.__oid = pg_regclass_oid(__1))",
                &[x],
            )
        }),
        "to_regclass" => arg(0).and_then(|x| {
            tpl(
                "(SELECT __l.__oid FROM _pg_lookup_rel AS __l WHERE __l.__oid = pg_regclass_oid(__1))",
                &[x],
            )
        }),
        "array" => array_subquery(f),
        _ => None,
    };
    if let Some(r) = replaced {
        *e = r;
        return;
    }
    if let Some(new) = renamed(&name) {
        f.name = ObjectName(vec![ObjectNamePart::Identifier(ident(new))]);
        if new.starts_with("CURRENT_") {
            f.args = FunctionArguments::None;
        }
    }
}

/// `ARRAY(SELECT x ...)` → `(SELECT array_agg(__v) FROM (SELECT x AS __v ...))`.
fn array_subquery(f: &sqlparser::ast::Function) -> Option<Expr> {
    let FunctionArguments::Subquery(q) = &f.args else {
        return None;
    };
    let mut q = (**q).clone();
    let SetExpr::Select(s) = q.body.as_mut() else {
        return None;
    };
    let first = s.projection.first_mut()?;
    let e = match first {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
        _ => return None,
    };
    *first = SelectItem::ExprWithAlias {
        expr: e,
        alias: ident("__v"),
    };
    let mut out = tpl(
        "(SELECT COALESCE(array_agg(__v), '{}') FROM (SELECT 1) AS __arr)",
        &[],
    )?;
    if let Expr::Subquery(outer) = &mut out
        && let SetExpr::Select(os) = outer.body.as_mut()
        && let Some(TableFactor::Derived { subquery, .. }) =
            os.from.first_mut().map(|t| &mut t.relation)
    {
        **subquery = q;
        return Some(out);
    }
    None
}

/// Post-order rewrites of one expression node; returns the parameter number of a placeholder.
pub(crate) fn rewrite_post(e: &mut Expr) -> Option<usize> {
    match e {
        Expr::Value(v) => match &mut v.value {
            Value::Placeholder(p) => {
                let n: usize = p.strip_prefix('$')?.parse().ok()?;
                *p = format!("?{n}");
                return Some(n);
            }
            Value::EscapedStringLiteral(s) => {
                v.value = Value::SingleQuotedString(std::mem::take(s));
            }
            Value::DollarQuotedString(d) => {
                v.value = Value::SingleQuotedString(std::mem::take(&mut d.value));
            }
            _ => {}
        },
        Expr::BinaryOp {
            left,
            op: BinaryOperator::Divide | BinaryOperator::Modulo,
            right,
        } => checked_divisor(left, right),
        Expr::BinaryOp { left, op, right } => {
            let (neg, ins) = match op {
                BinaryOperator::PGRegexMatch => (false, false),
                BinaryOperator::PGRegexIMatch => (false, true),
                BinaryOperator::PGRegexNotMatch => (true, false),
                BinaryOperator::PGRegexNotIMatch => (true, true),
                BinaryOperator::PGCustomBinaryOperator(parts) => {
                    match parts.last().map(String::as_str) {
                        Some("~") => (false, false),
                        Some("~*") => (false, true),
                        Some("!~") => (true, false),
                        Some("!~*") => (true, true),
                        Some(other) => {
                            if let Some(std_op) = standard_op(other) {
                                *op = std_op;
                            }
                            return None;
                        }
                        None => return None,
                    }
                }
                _ => return None,
            };
            let l = std::mem::replace(left.as_mut(), Expr::Value(Value::Null.into()));
            let r = std::mem::replace(right.as_mut(), Expr::Value(Value::Null.into()));
            *e = regexp(r, l, ins, neg);
        }
        Expr::ILike {
            negated,
            any,
            expr,
            pattern,
            escape_char,
        } => {
            *e = Expr::Like {
                negated: *negated,
                any: *any,
                expr: expr.clone(),
                pattern: pattern.clone(),
                escape_char: escape_char.clone(),
            };
        }
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } => {
            if let Some(r) = any_all((**left).clone(), compare_op, (**right).clone(), false) {
                *e = r;
            }
        }
        Expr::AllOp {
            left,
            compare_op,
            right,
        } => {
            if let Some(r) = any_all((**left).clone(), compare_op, (**right).clone(), true) {
                *e = r;
            }
        }
        Expr::Collate { expr, collation } => {
            let keep = matches!(last_name(collation).as_str(), "binary" | "nocase" | "rtrim");
            if !keep {
                *e = std::mem::replace(expr.as_mut(), Expr::Value(Value::Null.into()));
            }
        }
        Expr::Array(a) => {
            *e = call("pg_array", std::mem::take(&mut a.elem));
        }
        Expr::CompoundFieldAccess { root, access_chain } => {
            if let [AccessExpr::Subscript(Subscript::Index { index })] = access_chain.as_slice() {
                *e = call("pg_array_get", vec![(**root).clone(), index.clone()]);
            }
        }
        Expr::TypedString(ts) => {
            *e = Expr::Value(ts.value.clone());
        }
        Expr::Substring {
            expr,
            substring_from,
            substring_for,
            ..
        } => {
            let mut args = vec![(**expr).clone()];
            args.push(
                substring_from
                    .as_deref()
                    .cloned()
                    .unwrap_or(Expr::Value(Value::Number("1".into(), false).into())),
            );
            if let Some(f) = substring_for {
                args.push((**f).clone());
            }
            *e = call("substr", args);
        }
        Expr::Position { expr, r#in } => {
            *e = call("instr", vec![(**r#in).clone(), (**expr).clone()]);
        }
        Expr::Function(_) => rewrite_function(e),
        Expr::CompoundIdentifier(parts) if parts.len() >= 3 => {
            let first = parts[0].value.to_ascii_lowercase();
            if matches!(
                first.as_str(),
                "pg_catalog" | "public" | "information_schema"
            ) {
                parts.remove(0);
            }
        }
        _ => {}
    }
    None
}

/// `a / b` and `a % b`: the divisor goes through `pg_divisor`, which raises 22012 for a zero
/// (SQLite answers NULL); a literal non-zero divisor is left alone. A cheap dividend (a
/// column, a literal, a parameter) is passed too, so that a NULL dividend gives NULL as
/// PostgreSQL's strict operators do.
fn checked_divisor(left: &Expr, right: &mut Box<Expr>) {
    let literal_nonzero = match right.as_ref() {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<f64>().is_ok_and(|f| f != 0.0),
            _ => false,
        },
        _ => false,
    };
    let wrapped = matches!(right.as_ref(), Expr::Function(f) if last_name(&f.name) == "pg_divisor");
    if literal_nonzero || wrapped {
        return;
    }
    let b = std::mem::replace(right.as_mut(), Expr::Value(Value::Null.into()));
    let mut args = vec![b];
    if matches!(
        left,
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_)
    ) {
        args.push(left.clone());
    }
    **right = call("pg_divisor", args);
}

fn standard_op(op: &str) -> Option<BinaryOperator> {
    Some(match op {
        "=" => BinaryOperator::Eq,
        "<>" | "!=" => BinaryOperator::NotEq,
        "<" => BinaryOperator::Lt,
        "<=" => BinaryOperator::LtEq,
        ">" => BinaryOperator::Gt,
        ">=" => BinaryOperator::GtEq,
        "+" => BinaryOperator::Plus,
        "-" => BinaryOperator::Minus,
        "*" => BinaryOperator::Multiply,
        "/" => BinaryOperator::Divide,
        "||" => BinaryOperator::StringConcat,
        _ => return None,
    })
}
