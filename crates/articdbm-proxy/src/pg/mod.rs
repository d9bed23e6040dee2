//! The PostgreSQL front end: a client's way from TCP accept through TLS, startup and
//! authentication into the session loop (or the admin console, or the session loop of an
//! embedded SQLite database in `sqlite`).

mod admin;
mod auth;
mod batches;
mod client;
mod client_encoding;
mod deferred;
mod refusal;
mod reply;
mod session;
mod session_state;
mod settings_tracker;
mod sqlite;
mod startup;
mod statements;
mod transaction_sql;

pub use client::handle_client;
