//! The MySQL front end: a client's way from TCP accept through the handshake, TLS and
//! authentication ([`Login`]) into the session loop, which forwards commands to a pooled
//! MySQL/MariaDB server ([`session`]) or answers them from an embedded SQLite database
//! ([`sqlite`]), through the same inspection seam as the PostgreSQL front end.

mod auth;
mod client;
mod database_fn;
pub(crate) mod handshake;
pub mod kill;
mod literal_select;
mod lobby;
mod login;
mod multi;
mod namespace;
mod next_command;
mod oversized;
mod reauth;
mod reply;
pub mod session;
mod session_state;
pub mod sqlite;

pub use client::handle_client;
pub use login::Login;
