//! The client's `client_encoding`, for the places where the proxy must read SQL text (the
//! inspection seam, the session-state scan). The bytes themselves are forwarded untouched, as
//! the server reads them; here they are decoded to UTF-8 the way the server converts them, and
//! a sequence invalid in that encoding is refused with the server's SQLSTATE (22021).

use std::borrow::Cow;

use encoding_rs::Encoding;

/// How the client's bytes become text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientEncoding {
    Utf8,
    /// PostgreSQL's `SQL_ASCII`: bytes above 0x7F are not interpreted (nor checked).
    SqlAscii,
    /// ISO 8859-1: every byte is the code point of the same number.
    Latin1,
    Other(&'static Encoding, &'static str),
}

impl ClientEncoding {
    /// From the server's name of the encoding (as ParameterStatus reports it: `UTF8`,
    /// `LATIN9`, `WIN1252`, `EUC_JP`...). Names without a decoder here are read as SQL_ASCII
    /// (ASCII text is read exactly; the server still checks the rest).
    pub fn from_server_name(name: &str) -> ClientEncoding {
        let n = name.to_ascii_uppercase().replace(['-', '_'], "");
        let e: &'static Encoding = match n.as_str() {
            "UTF8" | "UNICODE" => return ClientEncoding::Utf8,
            "LATIN1" | "ISO88591" => return ClientEncoding::Latin1,
            "LATIN2" | "ISO88592" => encoding_rs::ISO_8859_2,
            "LATIN3" | "ISO88593" => encoding_rs::ISO_8859_3,
            "LATIN4" | "ISO88594" => encoding_rs::ISO_8859_4,
            "LATIN5" | "ISO88599" => encoding_rs::WINDOWS_1254,
            "LATIN6" | "ISO885910" => encoding_rs::ISO_8859_10,
            "LATIN7" | "ISO885913" => encoding_rs::ISO_8859_13,
            "LATIN8" | "ISO885914" => encoding_rs::ISO_8859_14,
            "LATIN9" | "ISO885915" => encoding_rs::ISO_8859_15,
            "LATIN10" | "ISO885916" => encoding_rs::ISO_8859_16,
            "ISO88595" => encoding_rs::ISO_8859_5,
            "ISO88596" => encoding_rs::ISO_8859_6,
            "ISO88597" => encoding_rs::ISO_8859_7,
            "ISO88598" => encoding_rs::ISO_8859_8,
            "WIN1250" => encoding_rs::WINDOWS_1250,
            "WIN1251" => encoding_rs::WINDOWS_1251,
            "WIN1252" => encoding_rs::WINDOWS_1252,
            "WIN1253" => encoding_rs::WINDOWS_1253,
            "WIN1254" => encoding_rs::WINDOWS_1254,
            "WIN1255" => encoding_rs::WINDOWS_1255,
            "WIN1256" => encoding_rs::WINDOWS_1256,
            "WIN1257" => encoding_rs::WINDOWS_1257,
            "WIN1258" => encoding_rs::WINDOWS_1258,
            "WIN866" => encoding_rs::IBM866,
            "WIN874" => encoding_rs::WINDOWS_874,
            "KOI8R" => encoding_rs::KOI8_R,
            "KOI8U" => encoding_rs::KOI8_U,
            "EUCJP" => encoding_rs::EUC_JP,
            "EUCKR" | "UHC" => encoding_rs::EUC_KR,
            "EUCCN" | "GBK" => encoding_rs::GBK,
            "GB18030" => encoding_rs::GB18030,
            "SJIS" | "SHIFTJIS2004" => encoding_rs::SHIFT_JIS,
            "BIG5" => encoding_rs::BIG5,
            _ => return ClientEncoding::SqlAscii,
        };
        ClientEncoding::Other(e, pg_name(&n))
    }

    /// The text of `bytes`; `Err` is the message of the server's 22021 error.
    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Cow<'a, str>, String> {
        match self {
            ClientEncoding::Utf8 => std::str::from_utf8(bytes)
                .map(Cow::Borrowed)
                .map_err(|e| invalid("UTF8", &bytes[e.valid_up_to()..])),
            ClientEncoding::SqlAscii => Ok(String::from_utf8_lossy(bytes)),
            ClientEncoding::Latin1 => Ok(match std::str::from_utf8(bytes) {
                Ok(s) if s.is_ascii() => Cow::Borrowed(s),
                _ => Cow::Owned(bytes.iter().map(|b| char::from(*b)).collect()),
            }),
            ClientEncoding::Other(e, name) => e
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| invalid(name, first_non_ascii(bytes))),
        }
    }
}

fn first_non_ascii(bytes: &[u8]) -> &[u8] {
    let at = bytes.iter().position(|b| !b.is_ascii()).unwrap_or(0);
    &bytes[at..]
}

/// PostgreSQL's message: `invalid byte sequence for encoding "X": 0xab 0xcd`.
fn invalid(encoding: &str, at: &[u8]) -> String {
    let shown: Vec<String> = at.iter().take(2).map(|b| format!("0x{b:02x}")).collect();
    format!(
        "invalid byte sequence for encoding \"{encoding}\": {}",
        shown.join(" ")
    )
}

/// The canonical PostgreSQL spelling of a normalised name (for messages).
fn pg_name(normalised: &str) -> &'static str {
    const NAMES: &[&str] = &[
        "LATIN2",
        "LATIN3",
        "LATIN4",
        "LATIN5",
        "LATIN6",
        "LATIN7",
        "LATIN8",
        "LATIN9",
        "LATIN10",
        "ISO_8859_5",
        "ISO_8859_6",
        "ISO_8859_7",
        "ISO_8859_8",
        "WIN1250",
        "WIN1251",
        "WIN1252",
        "WIN1253",
        "WIN1254",
        "WIN1255",
        "WIN1256",
        "WIN1257",
        "WIN1258",
        "WIN866",
        "WIN874",
        "KOI8R",
        "KOI8U",
        "EUC_JP",
        "EUC_KR",
        "UHC",
        "EUC_CN",
        "GBK",
        "GB18030",
        "SJIS",
        "SHIFT_JIS_2004",
        "BIG5",
    ];
    NAMES
        .iter()
        .copied()
        .find(|n| n.replace('_', "") == normalised)
        .unwrap_or("SQL_ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_as_the_server_converts() {
        let latin9 = ClientEncoding::from_server_name("LATIN9");
        assert_eq!(latin9.decode(b"SELECT '\xa4'").as_deref(), Ok("SELECT '€'"));
        let latin1 = ClientEncoding::from_server_name("LATIN1");
        assert_eq!(latin1.decode(b"'\xa4'").as_deref(), Ok("'¤'"));
        let utf8 = ClientEncoding::from_server_name("UTF8");
        assert_eq!(utf8.decode("é".as_bytes()).as_deref(), Ok("é"));
        assert_eq!(
            utf8.decode(b"a\xa4").map_err(|e| e.to_string()),
            Err("invalid byte sequence for encoding \"UTF8\": 0xa4".to_string())
        );
        let euc = ClientEncoding::from_server_name("EUC_JP");
        assert!(
            euc.decode(b"SELECT '\xff'")
                .is_err_and(|e| e.contains("\"EUC_JP\""))
        );
        let ascii = ClientEncoding::from_server_name("SQL_ASCII");
        assert!(ascii.decode(b"\xff").is_ok());
    }
}
