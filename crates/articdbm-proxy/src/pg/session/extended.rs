//! The extended query protocol in a session: Parse, Bind, Describe, Close and Sync. In
//! transaction mode named statements are tracked per client and renamed to content-addressed
//! server-side names (see `statements`), prepared on whichever server the client lands on.

use std::sync::atomic::Ordering;

use articdbm_wire_pg::Frame;
use articdbm_wire_pg::frontend::{Bind, Close, Describe, Parse, TargetKind, tag as fe};
use bytes::{Bytes, BytesMut};

use super::super::batches::Parsing;
use super::super::deferred::When;
use super::super::reply::sqlstate;
use super::super::session_state::classify;
use super::super::statements::Prepared;
use super::super::transaction_sql::begins_transaction;
use super::{Flow, Session};
use crate::inspect::{StatementSource, Verdict};

impl Session {
    pub(super) async fn on_parse(&mut self, frame: Frame) -> Result<Flow, String> {
        if self.refused.is_some() {
            return Ok(Flow::Continue);
        }
        let parse = Parse::decode(&frame).map_err(|e| e.to_string())?;
        self.state.counters.queries.fetch_add(1, Ordering::Relaxed);
        let sql = match self.encoding.decode(parse.query_bytes()) {
            Ok(sql) => sql,
            Err(message) => {
                self.refuse_extended(sqlstate::CHARACTER_NOT_IN_REPERTOIRE, &message);
                return Ok(Flow::Continue);
            }
        };
        if let Verdict::Block {
            rule,
            message,
            sqlstate,
        } = self.inspect(&sql, StatementSource::Prepare)
        {
            self.refuse_extended(sqlstate, &format!("{message} (rule {rule})"));
            return Ok(Flow::Continue);
        }
        let effect = classify(&sql);
        let tracked = self.transaction_mode && !parse.statement().is_empty();
        if tracked && self.statements.contains(parse.statement()) {
            let name = String::from_utf8_lossy(parse.statement()).into_owned();
            self.refuse_extended(
                sqlstate::DUPLICATE_PREPARED,
                &format!("prepared statement \"{name}\" already exists"),
            );
            return Ok(Flow::Continue);
        }
        if !self.ensure_server_or_refuse_extended().await {
            return Ok(Flow::Continue);
        }
        if tracked {
            // Its effect counts each time it runs, whichever server that is (see Bind).
            let prepared = self.statements.insert(&parse, effect);
            self.send_parse(&prepared, Some(parse.statement()));
        } else {
            // An unnamed (or session-mode) statement runs on this server, if at all.
            self.apply_effect(effect, &sql);
            self.forward(&frame);
            let batch = self.batches.current();
            batch.parsing.push_back(Parsing {
                id: 0,
                injected: false,
                client_name: Bytes::new(),
            });
            batch.opens_transaction |= self.transaction_mode && begins_transaction(&sql);
        }
        Ok(Flow::Continue)
    }

    /// Prepares `p` on the attached server under its server-side name, for the client's Parse
    /// of `client_name`, or on the proxy's own account (`None`: the reply is swallowed). A
    /// statement already there is closed first (it is identical by construction; the Close
    /// reply is swallowed).
    pub(super) fn send_parse(&mut self, p: &Prepared, client_name: Option<&[u8]>) {
        let Some(g) = self.server.as_mut() else {
            return;
        };
        let server = g.server();
        let already = !server.prepared().insert(p.id);
        if already {
            Close::write(server.out(), TargetKind::Statement, &p.server_name);
        }
        p.parse.write_renamed(server.out(), &p.server_name);
        let batch = self.batches.current();
        if already {
            batch.swallow_close += 1;
        }
        batch.parsing.push_back(Parsing {
            id: p.id,
            injected: client_name.is_none(),
            client_name: client_name.map(Bytes::copy_from_slice).unwrap_or_default(),
        });
    }

    pub(super) async fn on_bind_or_describe(&mut self, frame: Frame) -> Result<Flow, String> {
        if self.refused.is_some() {
            return Ok(Flow::Continue);
        }
        let name = if frame.tag() == fe::BIND {
            Some(
                Bind::decode(&frame)
                    .map_err(|e| e.to_string())?
                    .statement()
                    .to_vec(),
            )
        } else {
            let d = Describe::decode(&frame).map_err(|e| e.to_string())?;
            (d.0.kind == TargetKind::Statement).then(|| d.0.name.to_vec())
        };
        let prepared = match name {
            Some(n) if self.transaction_mode && !n.is_empty() => self.statements.get(&n),
            _ => None,
        };
        let Some(prepared) = prepared else {
            self.forward_extended(&frame).await;
            return Ok(Flow::Continue);
        };
        if !self.ensure_server_or_refuse_extended().await {
            return Ok(Flow::Continue);
        }
        let missing = match self.server.as_mut() {
            Some(g) => !g.server().prepared().contains(&prepared.id),
            None => false,
        };
        if missing {
            self.send_parse(&prepared, None);
        }
        if frame.tag() == fe::BIND {
            if !prepared.effect.is_none() {
                let sql = self
                    .encoding
                    .decode(prepared.parse.query_bytes())
                    .unwrap_or_default();
                self.apply_effect(prepared.effect, &sql);
            }
            if prepared.parse.query().is_ok_and(begins_transaction) {
                self.batches.current().opens_transaction = true;
            }
        }
        let Some(g) = self.server.as_mut() else {
            return Ok(Flow::Continue);
        };
        let out = g.server().out();
        if frame.tag() == fe::BIND {
            Bind::decode(&frame)
                .map_err(|e| e.to_string())?
                .write_renamed(out, &prepared.server_name);
        } else {
            Describe::write(out, TargetKind::Statement, &prepared.server_name);
        }
        self.batches.current();
        Ok(Flow::Continue)
    }

    pub(super) async fn on_close(&mut self, frame: Frame) -> Result<Flow, String> {
        if self.refused.is_some() {
            return Ok(Flow::Continue);
        }
        let close = Close::decode(&frame).map_err(|e| e.to_string())?;
        let tracked = self.transaction_mode
            && close.0.kind == TargetKind::Statement
            && !close.0.name.is_empty();
        let Some(prepared) = tracked
            .then(|| self.statements.remove(&close.0.name))
            .flatten()
        else {
            self.forward_extended(&frame).await;
            return Ok(Flow::Continue);
        };
        if !self.ensure_server_or_refuse_extended().await {
            return Ok(Flow::Continue);
        }
        if let Some(g) = self.server.as_mut() {
            let server = g.server();
            server.prepared().remove(&prepared.id);
            Close::write(server.out(), TargetKind::Statement, &prepared.server_name);
            self.batches.current();
        }
        Ok(Flow::Continue)
    }

    pub(super) async fn on_sync(&mut self, frame: &Frame) -> Result<Flow, String> {
        if let Some(err) = self.refused.take() {
            if self.batches.is_open() && self.server.is_some() {
                self.forward(frame);
                self.batches.close();
                self.ready_sent += 1;
                if !err.is_empty() {
                    self.deferred
                        .push(When::BeforeReady(self.ready_sent), err, false);
                }
            } else {
                self.batches.abandon();
                self.deferred
                    .push(When::AfterReady(self.ready_sent), err, true);
            }
            return Ok(Flow::Continue);
        }
        if self.server.is_none() && !self.batches.is_open() {
            // Nothing to synchronise with: answer for the server.
            self.deferred
                .push(When::AfterReady(self.ready_sent), BytesMut::new(), true);
            return Ok(Flow::Continue);
        }
        if !self.ensure_server_or_refuse_query().await {
            return Ok(Flow::Continue);
        }
        self.forward(frame);
        self.batches.close();
        self.ready_sent += 1;
        Ok(Flow::Continue)
    }

    pub(super) async fn forward_extended(&mut self, frame: &Frame) {
        if self.ensure_server_or_refuse_extended().await {
            self.forward(frame);
            self.batches.current();
        }
    }
}
