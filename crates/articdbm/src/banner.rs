//! The start-up banner: plain text on standard output (never mixed into the log, which goes to
//! standard error): the addresses listened on, the configuration file, and ready-to-run
//! commands for a client and for the admin console.

use std::net::SocketAddr;
use std::path::Path;

use articdbm_config::{Config, DatabaseKind, WILDCARD};

/// What the banner describes.
pub struct Banner<'a> {
    pub path: &'a Path,
    pub config: &'a Config,
    pub pg: Option<SocketAddr>,
    pub mysql: Option<SocketAddr>,
}

pub fn print(banner: &Banner<'_>) {
    for line in lines(banner) {
        println!("{line}");
    }
}

fn lines(b: &Banner<'_>) -> Vec<String> {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = Vec::new();
    match b.pg {
        Some(addr) => out.push(format!(
            "ArticDBM {version} listening for PostgreSQL clients on {addr}"
        )),
        None => out.push(format!(
            "ArticDBM {version} (no PostgreSQL listener: proxy.pg_listen is \"\")"
        )),
    }
    if let Some(addr) = b.mysql {
        out.push(format!("  MySQL clients on {addr}"));
    }
    out.push(format!("  configuration: {}", b.path.display()));
    let quickstart = b.path.ends_with(crate::quickstart::FILE_NAME);
    let user = if quickstart {
        crate::quickstart::USER
    } else {
        "<user>"
    };
    let served_over = |mysql: bool| {
        b.config
            .databases
            .iter()
            .filter(|(name, _)| name.as_str() != WILDCARD)
            .find(|(_, db)| db.kind == DatabaseKind::Sqlite || db.kind.is_mysql() == mysql)
            .map(|(name, _)| name.clone())
    };
    if let Some(addr) = b.pg {
        let db = served_over(false).unwrap_or_else(|| "<database>".to_owned());
        out.push(format!(
            "  connect:       psql \"host={} port={} user={user} dbname={db}\"",
            addr.ip(),
            addr.port()
        ));
    }
    // A mysql command is only worth printing when some database is served over MySQL.
    if let (Some(addr), Some(db)) = (b.mysql, served_over(true)) {
        out.push(format!(
            "  connect:       mysql -h {} -P {} -u {user} -p {db}",
            addr.ip(),
            addr.port()
        ));
    }
    // The admin console speaks the PostgreSQL protocol.
    if let Some(addr) = b.pg
        && !b.config.admin.users.is_empty()
    {
        let admin = if quickstart {
            crate::quickstart::USER.to_owned()
        } else {
            b.config.admin.users[0].clone()
        };
        out.push(format!(
            "  admin console: psql \"host={} port={} user={admin} dbname={}\" -c \"SHOW HELP\"",
            addr.ip(),
            addr.port(),
            b.config.admin.database
        ));
    }
    out
}
