//! The protocol messages the SQLite session reads in full (Bind with its parameter values and
//! formats, Execute with its row limit) and the result messages it writes itself
//! (RowDescription with types and formats, DataRow, ParameterDescription...). The others come
//! from `articdbm_wire_pg`.

use articdbm_wire_pg::backend::tag;
use articdbm_wire_pg::{Frame, MessageBuilder};
use bytes::{Buf, Bytes, BytesMut};

/// A decoded Bind message.
#[derive(Debug)]
pub struct BindMessage {
    pub portal: Vec<u8>,
    pub statement: Vec<u8>,
    /// Format per parameter, already expanded (0 text, 1 binary).
    pub param_formats: Vec<i16>,
    /// Parameter values; `None` is NULL.
    pub values: Vec<Option<Bytes>>,
    /// Result formats as sent: none (all text), one (for all), or one per column.
    pub result_formats: Vec<i16>,
}

/// A decoded Execute message.
#[derive(Debug)]
pub struct ExecuteMessage {
    pub portal: Vec<u8>,
    /// Rows to return at most; 0 = all.
    pub max_rows: u32,
}

fn malformed(what: &str) -> String {
    format!("invalid {what} message")
}

fn cstr(body: &mut Bytes, what: &str) -> Result<Vec<u8>, String> {
    let nul = body
        .iter()
        .position(|b| *b == 0)
        .ok_or_else(|| malformed(what))?;
    let s = body.split_to(nul).to_vec();
    body.advance(1);
    Ok(s)
}

fn i16_of(body: &mut Bytes, what: &str) -> Result<i16, String> {
    if body.remaining() < 2 {
        return Err(malformed(what));
    }
    Ok(body.get_i16())
}

fn i32_of(body: &mut Bytes, what: &str) -> Result<i32, String> {
    if body.remaining() < 4 {
        return Err(malformed(what));
    }
    Ok(body.get_i32())
}

impl BindMessage {
    pub fn decode(frame: &Frame) -> Result<Self, String> {
        let what = "Bind";
        let mut body = frame.body();
        let portal = cstr(&mut body, what)?;
        let statement = cstr(&mut body, what)?;
        let nformats = i16_of(&mut body, what)?;
        let mut formats = Vec::with_capacity(nformats.max(0) as usize);
        for _ in 0..nformats.max(0) {
            formats.push(i16_of(&mut body, what)?);
        }
        let nvalues = i16_of(&mut body, what)?.max(0) as usize;
        let param_formats = match formats.len() {
            0 => vec![0; nvalues],
            1 => vec![formats[0]; nvalues],
            n if n == nvalues => formats,
            _ => {
                return Err(format!(
                    "bind message has {} parameter formats but {nvalues} parameters",
                    formats.len()
                ));
            }
        };
        let mut values = Vec::with_capacity(nvalues);
        for _ in 0..nvalues {
            let len = i32_of(&mut body, what)?;
            if len < 0 {
                values.push(None);
            } else {
                let len = len as usize;
                if body.remaining() < len {
                    return Err(malformed(what));
                }
                values.push(Some(body.split_to(len)));
            }
        }
        let nresults = i16_of(&mut body, what)?.max(0);
        let mut result_formats = Vec::with_capacity(nresults as usize);
        for _ in 0..nresults {
            result_formats.push(i16_of(&mut body, what)?);
        }
        Ok(BindMessage {
            portal,
            statement,
            param_formats,
            values,
            result_formats,
        })
    }
}

impl ExecuteMessage {
    pub fn decode(frame: &Frame) -> Result<Self, String> {
        let mut body = frame.body();
        let portal = cstr(&mut body, "Execute")?;
        let max_rows = i32_of(&mut body, "Execute")?.max(0) as u32;
        Ok(ExecuteMessage { portal, max_rows })
    }
}

/// The format of result column `i` given the Bind's result formats.
pub fn result_format(formats: &[i16], i: usize) -> i16 {
    match formats.len() {
        0 => 0,
        1 => formats[0],
        _ => formats.get(i).copied().unwrap_or(0),
    }
}

/// One described result column.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub oid: u32,
    pub size: i16,
    pub format: i16,
}

pub fn write_row_description(out: &mut BytesMut, fields: &[Field]) {
    let mut m = MessageBuilder::new(out, tag::ROW_DESCRIPTION);
    m.i16(fields.len() as i16);
    for f in fields {
        m.cstr(f.name.as_bytes())
            .u32(0)
            .i16(0)
            .u32(f.oid)
            .i16(f.size)
            .i32(-1)
            .i16(f.format);
    }
    m.finish();
}

pub fn write_parameter_description(out: &mut BytesMut, oids: &[u32]) {
    let mut m = MessageBuilder::new(out, tag::PARAMETER_DESCRIPTION);
    m.i16(oids.len() as i16);
    for oid in oids {
        m.u32(*oid);
    }
    m.finish();
}

/// Writes a DataRow of already encoded values (`None` = NULL).
pub fn write_data_row(out: &mut BytesMut, values: &[Option<&[u8]>]) {
    let mut m = MessageBuilder::new(out, tag::DATA_ROW);
    m.i16(values.len() as i16);
    for v in values {
        match v {
            Some(bytes) => {
                m.i32(bytes.len() as i32).bytes(bytes);
            }
            None => {
                m.i32(-1);
            }
        }
    }
    m.finish();
}
