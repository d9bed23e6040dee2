//! Listen addresses (`proxy.pg_listen`, `proxy.mysql_listen`): parsing `"ip:port"`,
//! `"localhost:port"` or `""` (listener disabled), with errors that show the value and the
//! expected form.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// What a listen address looks like, for error messages.
pub const LISTEN_FORM: &str = "\"ip:port\" (e.g. \"127.0.0.1:6432\", \"0.0.0.0:6432\", \"[::]:6432\"), \"localhost:port\", \
     or \"\" to disable the listener";

/// Parses a listen address: `"ip:port"`, `"[ipv6]:port"`, `"localhost:port"` (the IPv4
/// loopback), or `""` (`None`: the listener is disabled). Port `0` lets the system choose a
/// port, which the proxy logs at start. The error names the value and the expected form.
pub fn parse_listen(text: &str) -> Result<Option<SocketAddr>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(Some(addr));
    }
    if let Some((host, port)) = text.rsplit_once(':')
        && host.eq_ignore_ascii_case("localhost")
        && let Ok(port) = port.parse::<u16>()
    {
        return Ok(Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)));
    }
    if let Ok(port) = text.parse::<u16>() {
        return Err(format!(
            "`{text}` is a bare port; write an address with it, e.g. \"127.0.0.1:{port}\" \
             (this host only) or \"0.0.0.0:{port}\" (every interface)"
        ));
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Err(format!(
            "`{text}` has no port; expected {LISTEN_FORM}, e.g. \"{}\"",
            SocketAddr::new(ip, 6432)
        ));
    }
    Err(format!(
        "`{text}` is not a listen address; expected {LISTEN_FORM}"
    ))
}

/// Serde for an optional listen address: written as the address, or `""` for `None`.
pub(crate) mod optional_listen {
    use std::net::SocketAddr;

    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        addr: &Option<SocketAddr>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match addr {
            Some(addr) => serializer.collect_str(addr),
            None => serializer.serialize_str(""),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SocketAddr>, D::Error> {
        let text = String::deserialize(deserializer)?;
        super::parse_listen(&text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_accepted() {
        let v4: SocketAddr = "127.0.0.1:7000".parse().expect("addr");
        assert_eq!(parse_listen("127.0.0.1:7000"), Ok(Some(v4)));
        assert_eq!(parse_listen("localhost:7000"), Ok(Some(v4)));
        assert_eq!(parse_listen(" LOCALHOST:7000 "), Ok(Some(v4)));
        assert_eq!(parse_listen(""), Ok(None));
        let v6: SocketAddr = "[::1]:7000".parse().expect("addr");
        assert_eq!(parse_listen("[::1]:7000"), Ok(Some(v6)));
    }

    #[test]
    fn errors_show_value_and_form() {
        let bare = parse_listen("6432").expect_err("bare port");
        assert!(
            bare.contains("`6432`") && bare.contains("127.0.0.1:6432"),
            "{bare}"
        );
        let ip = parse_listen("10.0.0.1").expect_err("no port");
        assert!(
            ip.contains("`10.0.0.1`") && ip.contains("10.0.0.1:6432"),
            "{ip}"
        );
        let junk = parse_listen("db.example:x").expect_err("junk");
        assert!(
            junk.contains("`db.example:x`") && junk.contains("ip:port"),
            "{junk}"
        );
        assert!(parse_listen("localhost:99999").is_err());
    }
}
