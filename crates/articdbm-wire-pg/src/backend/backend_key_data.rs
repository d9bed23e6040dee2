//! `BackendKeyData` ('K'): the process id and secret a client needs to send a CancelRequest.

use bytes::BytesMut;

use crate::builder::MessageBuilder;
use crate::error::WireError;
use crate::frame::Frame;
use crate::reader::Reader;

use super::tag;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendKeyData {
    pub process_id: i32,
    pub secret_key: i32,
}

impl BackendKeyData {
    pub fn decode(frame: &Frame) -> Result<Self, WireError> {
        let mut r = Reader::new(frame.body(), "BackendKeyData");
        let process_id = r.i32()?;
        let secret_key = r.i32()?;
        Ok(BackendKeyData {
            process_id,
            secret_key,
        })
    }

    pub fn write(&self, buf: &mut BytesMut) {
        let mut m = MessageBuilder::new(buf, tag::BACKEND_KEY_DATA);
        m.i32(self.process_id).i32(self.secret_key);
        m.finish();
    }
}
