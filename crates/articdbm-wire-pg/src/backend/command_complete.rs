//! `CommandComplete` ('C'): the command tag that ends a statement's result.

use bytes::BytesMut;

use crate::builder::MessageBuilder;

use super::tag;

pub fn write(buf: &mut BytesMut, command_tag: &str) {
    let mut m = MessageBuilder::new(buf, tag::COMMAND_COMPLETE);
    m.cstr(command_tag.as_bytes());
    m.finish();
}
