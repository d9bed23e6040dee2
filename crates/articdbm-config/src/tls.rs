//! `[tls]`: TLS for client connections (mode, certificate, key, minimum version).

use std::fmt;
use std::path::PathBuf;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `[tls]` section.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSection {
    /// Whether clients may, must, or cannot use TLS. Default `"optional"`.
    pub mode: TlsMode,
    /// PEM certificate chain file. Default: none. Required when `mode = "required"`; must be
    /// set together with `key`; the loader checks that the file is readable.
    pub cert: Option<PathBuf>,
    /// PEM private key file. Default: none. Required when `mode = "required"`; must be set
    /// together with `cert`; the loader checks that the file is readable.
    pub key: Option<PathBuf>,
    /// Lowest TLS version accepted: `"1.2"` or `"1.3"`. Default `"1.2"`.
    pub min_version: TlsVersion,
}

impl TlsSection {
    /// Whether a certificate and key are configured (TLS can be offered).
    pub fn has_identity(&self) -> bool {
        self.cert.is_some() && self.key.is_some()
    }
}

/// `tls.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// `"disabled"`: TLS requests are declined.
    Disabled,
    /// `"optional"`: TLS is offered when a certificate is configured; plaintext is accepted.
    #[default]
    Optional,
    /// `"required"`: clients that do not use TLS are refused.
    Required,
}

/// `tls.min_version`. Versions below 1.2 do not exist here on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum TlsVersion {
    /// TLS 1.2 (`"1.2"`).
    #[default]
    V1_2,
    /// TLS 1.3 (`"1.3"`).
    V1_3,
}

impl TlsVersion {
    /// The version as written in the config file.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::V1_2 => "1.2",
            TlsVersion::V1_3 => "1.3",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text.trim() {
            "1.2" => Ok(TlsVersion::V1_2),
            "1.3" => Ok(TlsVersion::V1_3),
            "1.0" | "1" | "1.1" => Err(format!(
                "TLS {text} is not supported; the minimum is \"1.2\" (allowed: \"1.2\", \"1.3\")"
            )),
            other => Err(format!(
                "unknown TLS version `{other}` (allowed: \"1.2\", \"1.3\")"
            )),
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TlsVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TlsVersionVisitor)
    }
}

/// Accepts `"1.2"` as well as the bare float `1.2`.
struct TlsVersionVisitor;

impl Visitor<'_> for TlsVersionVisitor {
    type Value = TlsVersion;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a TLS version, \"1.2\" or \"1.3\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<TlsVersion, E> {
        TlsVersion::parse(v).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TlsVersion, E> {
        TlsVersion::parse(&v.to_string()).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TlsVersion, E> {
        TlsVersion::parse(&v.to_string()).map_err(E::custom)
    }
}
