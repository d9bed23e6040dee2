//! Typed PostgreSQL messages from an arbitrary byte stream.
//!
//! Input: `[max_sel, split_seed, stream...]`. The stream is fed to a `FrameDecoder` whose
//! `max_len` is `4 + 4 * max_sel` (4..=1024 bytes), in chunks cut by `split_seed`; every frame
//! that comes out is handed to every frontend and backend decoder.
//!
//! Invariants checked:
//! - no panic anywhere;
//! - a frame's size is its length word + 1, within `max_len + 1`, and `Frame::from_bytes` accepts
//!   exactly its bytes back;
//! - the frames are the stream's prefix, in order, and feeding the stream in chunks yields the
//!   same frames, the same error and the same leftover bytes as feeding it at once;
//! - `Ok(None)` only when the buffered bytes are short of the announced message, with room
//!   reserved for the next step of it (up to RESERVE_STEP bytes), and without consuming anything;
//! - every message that decodes re-encodes with the crate's writer to the same body (or, where
//!   the writer normalises, to a message that decodes to the same value).
#![no_main]

mod common;

use articdbm_wire_pg::backend::backend_key_data::BackendKeyData;
use articdbm_wire_pg::backend::parameter_status::ParameterStatus;
use articdbm_wire_pg::backend::{Authentication, ErrorFields, TransactionStatus};
use articdbm_wire_pg::frontend::password::{
    SaslInitialResponse, decode_password, decode_sasl_response, write_password, write_sasl_response,
};
use articdbm_wire_pg::frontend::{Bind, Close, Describe, Parse, Query};
use articdbm_wire_pg::{Frame, FrameDecoder, WireError};
use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [max_sel, split_seed, stream @ ..] = data else {
        return;
    };
    let decoder = FrameDecoder::new(4 + 4 * u32::from(*max_sel));

    let whole = run(decoder, &[stream]);
    let split = run(decoder, &common::chunks(stream, *split_seed));
    assert_eq!(
        whole.frames, split.frames,
        "chunked feeding changed the frames"
    );
    assert_eq!(
        whole.error, split.error,
        "chunked feeding changed the error"
    );
    if whole.error.is_none() {
        // After an error the chunked run stops feeding, so only clean runs share leftovers.
        assert_eq!(whole.leftover, split.leftover);
    }

    let consumed: usize = whole.frames.iter().map(Frame::len).sum();
    let mut offset = 0;
    for frame in &whole.frames {
        assert_eq!(&stream[offset..offset + frame.len()], &frame.as_bytes()[..]);
        offset += frame.len();
        check_frame(decoder, frame);
        decode_all(frame);
    }
    if whole.error.is_none() {
        assert_eq!(&whole.leftover[..], &stream[consumed..]);
    }
});

struct Outcome {
    frames: Vec<Frame>,
    error: Option<WireError>,
    leftover: Bytes,
}

/// Feeds `chunks` in order into one reused buffer, draining frames after each, until the end
/// or the first error (after which a connection would be closed).
fn run(decoder: FrameDecoder, chunks: &[&[u8]]) -> Outcome {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert_eq!(buf.len(), before - frame.len());
                    frames.push(frame);
                }
                Ok(None) => {
                    assert_eq!(buf.len(), before, "Ok(None) consumed bytes");
                    if buf.len() >= 5 {
                        let total = decoder
                            .peek_len(&buf)
                            .expect("header was accepted by decode")
                            .expect("header is complete");
                        assert!(buf.len() < total, "Ok(None) with a whole message buffered");
                        assert!(
                            buf.capacity()
                                >= total.min(buf.len() + articdbm_wire_pg::frame::RESERVE_STEP),
                            "room for the next step of the message not reserved"
                        );
                    }
                    break;
                }
                Err(error) => {
                    assert!(matches!(error, WireError::BadLength { .. }));
                    assert!(decoder.peek_len(&buf).is_err());
                    return Outcome {
                        frames,
                        error: Some(error),
                        leftover: buf.freeze(),
                    };
                }
            }
        }
    }
    Outcome {
        frames,
        error: None,
        leftover: buf.freeze(),
    }
}

fn check_frame(decoder: FrameDecoder, frame: &Frame) {
    let bytes = frame.as_bytes();
    assert!(frame.len() >= 5);
    assert!(!frame.is_empty());
    let declared = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
    assert!((4..=decoder.max_len()).contains(&declared));
    assert_eq!(frame.len(), declared as usize + 1);
    assert_eq!(frame.tag(), bytes[0]);
    assert_eq!(&frame.body()[..], &bytes[5..]);
    assert_eq!(Frame::from_bytes(bytes.clone()).as_ref(), Ok(frame));
    // One byte more or less must be refused.
    assert!(Frame::from_bytes(bytes.slice(..bytes.len() - 1)).is_err());
    let mut longer = BytesMut::from(&bytes[..]);
    longer.extend_from_slice(b"x");
    assert!(Frame::from_bytes(longer.freeze()).is_err());
    assert_eq!(frame.clone().into_bytes(), *bytes);
}

/// Parses `buf` as exactly one frame.
fn one_frame(buf: BytesMut) -> Frame {
    Frame::from_bytes(buf.freeze()).expect("writer produced a malformed frame")
}

/// The writers emit their own tag; compare everything after it.
fn same_after_tag(written: &BytesMut, frame: &Frame) {
    assert_eq!(&written[1..], &frame.as_bytes()[1..], "re-encoding differs");
}

/// Every decoder sees every frame, whatever its tag: none may panic, and what decodes must
/// survive a trip through the matching writer.
fn decode_all(frame: &Frame) {
    if let Ok(q) = Query::decode(frame) {
        assert!(!q.sql_bytes().contains(&0));
        if let Ok(sql) = q.sql() {
            let mut out = BytesMut::new();
            Query::write(&mut out, sql);
            same_after_tag(&out, frame);
        }
    }

    if let Ok(p) = Parse::decode(frame) {
        let _ = p.query();
        let mut out = BytesMut::new();
        p.write_renamed(&mut out, p.statement());
        same_after_tag(&out, frame);
        assert_eq!(Parse::decode(&one_frame(out)).as_ref(), Ok(&p));
    }

    if let Ok(b) = Bind::decode(frame) {
        let mut out = BytesMut::new();
        b.write_renamed(&mut out, b.statement());
        same_after_tag(&out, frame);
    }

    if let Ok(d) = Describe::decode(frame) {
        let mut out = BytesMut::new();
        Describe::write(&mut out, d.0.kind, &d.0.name);
        same_after_tag(&out, frame);
    }

    if let Ok(c) = Close::decode(frame) {
        let mut out = BytesMut::new();
        Close::write(&mut out, c.0.kind, &c.0.name);
        same_after_tag(&out, frame);
    }

    if let Ok(s) = SaslInitialResponse::decode(frame) {
        let mut out = BytesMut::new();
        SaslInitialResponse::write(&mut out, &s.mechanism, &s.data);
        let again = SaslInitialResponse::decode(&one_frame(out)).expect("re-decode");
        assert_eq!(again.mechanism, s.mechanism);
        assert_eq!(again.data, s.data);
    }

    if let Ok(data) = decode_sasl_response(frame) {
        let mut out = BytesMut::new();
        write_sasl_response(&mut out, &data);
        assert_eq!(&out[..], &frame.as_bytes()[..]);
    }

    if let Ok(pw) = decode_password(frame) {
        let mut out = BytesMut::new();
        write_password(&mut out, &pw);
        assert_eq!(&out[..], &frame.as_bytes()[..]);
    }

    if let Ok(a) = Authentication::decode(frame) {
        let mut out = BytesMut::new();
        a.write(&mut out);
        assert_eq!(Authentication::decode(&one_frame(out)).as_ref(), Ok(&a));
    }

    let _ = ErrorFields::decode(frame);

    if let Ok(p) = ParameterStatus::decode(frame) {
        let mut out = BytesMut::new();
        ParameterStatus::write(&mut out, &p.name, &p.value);
        assert_eq!(ParameterStatus::decode(&one_frame(out)).as_ref(), Ok(&p));
    }

    if let Ok(k) = BackendKeyData::decode(frame) {
        let mut out = BytesMut::new();
        k.write(&mut out);
        assert_eq!(BackendKeyData::decode(&one_frame(out)), Ok(k));
    }

    if let Ok(t) = TransactionStatus::decode(frame) {
        let mut out = BytesMut::new();
        t.write(&mut out);
        same_after_tag(&out, frame);
    }
}
