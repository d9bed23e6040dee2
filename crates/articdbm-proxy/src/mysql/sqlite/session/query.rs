//! COM_QUERY on SQLite: the text is counted, inspected (once, whole, as for the other
//! backends), checked for `KILL`, translated (cached), and its statements run one after the
//! other, each result flagged `MORE_RESULTS_EXISTS` but the last; the first error ends the
//! query, as MySQL does. Several statements need `CLIENT_MULTI_STATEMENTS`.

use std::sync::atomic::Ordering;

use articdbm_wire_mysql::Capabilities;
use articdbm_wire_mysql::frontend::ComQuery;
use bytes::Bytes;

use super::execute::{Format, Outcome};
use super::{Failure, Flow, Session};
use crate::inspect::StatementSource;
use crate::mysql::kill::parse_kill;
use crate::mysql::sqlite::dialect::command::Command;
use crate::mysql::sqlite::dialect::{DialectError, Mode, Statement};
use crate::sqlite::Value;

impl Session {
    pub(super) async fn on_query(&mut self, payload: &Bytes) -> Flow {
        self.state.counters.queries.fetch_add(1, Ordering::Relaxed);
        let query = match ComQuery::decode(payload, self.caps) {
            Ok(q) => q,
            Err(e) => {
                self.reply()
                    .err(1064, "42000", &format!("malformed COM_QUERY: {e}"));
                return Flow::Continue;
            }
        };
        let sql = query.sql_bytes().clone();
        // Statements may carry binary literals: judged with invalid bytes replaced.
        let text = String::from_utf8_lossy(&sql).into_owned();
        if !self.inspect(&text, StatementSource::SimpleQuery) {
            return Flow::Continue;
        }
        if let Some((id, query_only)) = parse_kill(&text) {
            return self.kill_command(id, query_only).await;
        }
        let translation = self.translator.translate(&sql, Mode::Query);
        let statements = match translation.as_ref() {
            Ok(s) => s,
            Err(e) => {
                self.queue_failure(&e.clone().into());
                return Flow::Continue;
            }
        };
        if statements.is_empty() {
            self.reply().err(1065, "42000", "Query was empty");
            return Flow::Continue;
        }
        if statements.len() > 1 && !self.caps.contains(Capabilities::MULTI_STATEMENTS) {
            let f: Failure = DialectError::Syntax(format!(
                "check the manual that corresponds to your MySQL server version for the \
                 right syntax to use near '{}' (several statements need the client's \
                 multi-statement option)",
                statements[1].text
            ))
            .into();
            self.queue_failure(&f);
            return Flow::Continue;
        }
        let n = statements.len();
        for (i, st) in statements.iter().enumerate() {
            match self.statement(st, &[], Format::Text, i + 1 < n).await {
                Outcome::Done => {}
                Outcome::Failed => break,
                Outcome::Gone | Outcome::Close => return Flow::Close,
            }
        }
        Flow::Continue
    }

    /// Runs one translated statement (of a query, or a prepared statement with `params`)
    /// and writes its reply.
    pub(super) async fn statement(
        &mut self,
        st: &Statement,
        params: &[Value],
        format: Format,
        more: bool,
    ) -> Outcome {
        let command = match &st.command {
            Ok(c) => c,
            Err(e) => {
                self.queue_failure(&e.clone().into());
                return Outcome::Failed;
            }
        };
        let result = match command {
            Command::Run(plan) => self.run_plan(plan, params, format, more).await,
            Command::Local(local) => self.local(local, params, format, more).await,
        };
        match result {
            Ok(outcome) => outcome,
            Err(f) => {
                tracing::debug!(user = %self.user, code = f.code, error = %f.message, "statement failed");
                self.queue_failure(&f);
                Outcome::Failed
            }
        }
    }
}
