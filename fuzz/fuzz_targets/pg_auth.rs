//! SCRAM-SHA-256 (server and client state machines), stored password verifiers and md5.
//!
//! Input: `[mode, flags, payload...]`; where a mode takes two messages, the payload is split at
//! its first NUL into `a` and `b`. Nonces are random, so in `a`/`b` the token `%n` is replaced by
//! the nonce the other side really sent; that lets the fuzzer get past the nonce checks.
//!
//! | mode | what runs |
//! | --- | --- |
//! | 0 | `ScramServer::new` on a fixed verifier: `client_first(a)`, `client_final(b)` |
//! | 1 | the same against `ScramServer::new_mock(flags)` |
//! | 2 | `ScramClient`: `handle_server_first(a)`, `handle_server_final(b)` |
//! | 3 | an honest client/server exchange, password `a`, salt `b`, wrong password if `flags & 1` |
//! | 4 | `PasswordVerifier::from_str(payload)`, display round trip, a server built from it |
//! | 5 | md5: verifier from user `a` / password `b`, responses, `verify_response(payload)` |
//!
//! Invariants: no panic; a forged client-final never authenticates against a server, a forged
//! server-final never authenticates a client (the fuzzer cannot compute HMACs over random
//! nonces); an honest exchange succeeds exactly when the passwords match; a mock server never
//! lets anyone in; a state machine refuses to be driven again after it finished or failed;
//! verifiers print to a string that parses back to the same verifier.
#![no_main]

use std::str::FromStr;
use std::sync::LazyLock;

use articdbm_wire_pg::auth::{
    AuthError, MAX_ITERATIONS, Md5Verifier, PasswordVerifier, SCRAM_SHA_256, ScramClient,
    ScramServer, ScramVerifier, check_mechanism, md5_response,
};
use libfuzzer_sys::fuzz_target;

/// The password of the fixed verifier: RFC 7677's example user.
const PASSWORD: &str = "pencil";

/// One PBKDF2 round keeps executions fast; the iteration count plays no part in parsing.
static VERIFIER: LazyLock<ScramVerifier> =
    LazyLock::new(|| ScramVerifier::with_salt(PASSWORD, b"articdbm-fuzzing", 1));

/// PBKDF2 rounds a fuzzed server-first may ask the client for before the input is skipped
/// (larger counts up to `MAX_ITERATIONS` are legal but only make the fuzzer slow).
const CLIENT_ITERATION_BUDGET: u64 = 4096;

fuzz_target!(|data: &[u8]| {
    let [mode, flags, payload @ ..] = data else {
        return;
    };
    let (a, b) = split_nul(payload);
    let _ = check_mechanism(a);
    match mode % 6 {
        0 => forged_client(ScramServer::new(&VERIFIER), a, b),
        1 => forged_client(ScramServer::new_mock(&[*flags]), a, b),
        2 => forged_server(a, b),
        3 => honest(a, b, flags & 1 == 1),
        4 => verifiers(payload),
        _ => md5(a, b, payload, *flags),
    }
});

fn split_nul(payload: &[u8]) -> (&[u8], &[u8]) {
    match payload.iter().position(|&c| c == 0) {
        Some(i) => (&payload[..i], &payload[i + 1..]),
        None => (payload, &[]),
    }
}

/// `msg` with every `%n` replaced by `nonce`.
fn with_nonce(msg: &[u8], nonce: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + nonce.len());
    let mut rest = msg;
    while let Some(i) = rest.windows(2).position(|w| w == b"%n") {
        out.extend_from_slice(&rest[..i]);
        out.extend_from_slice(nonce);
        rest = &rest[i + 2..];
    }
    out.extend_from_slice(rest);
    out
}

/// The value of the first `name=` attribute of a SCRAM message.
fn attr<'a>(msg: &'a [u8], name: &[u8; 2]) -> Option<&'a [u8]> {
    msg.split(|&c| c == b',')
        .find_map(|field| field.strip_prefix(&name[..]))
}

fn assert_out_of_order<T: std::fmt::Debug>(r: Result<T, AuthError>) {
    assert!(
        matches!(r, Err(AuthError::OutOfOrder(_))),
        "finished exchange accepted another message: {r:?}"
    );
}

/// A server fed client messages the fuzzer made up: it must never authenticate.
fn forged_client(mut server: ScramServer, a: &[u8], b: &[u8]) {
    let server_first = match server.client_first(a) {
        Ok(m) => m,
        Err(_) => {
            assert!(!server.is_authenticated());
            assert_out_of_order(server.client_final(b));
            return;
        }
    };
    // r=<client nonce><server nonce>,s=<salt>,i=<iterations>
    let nonce = attr(&server_first, b"r=").expect("server-first has a nonce");
    let client_nonce = attr(a, b"r=").expect("accepted client-first has a nonce");
    assert!(nonce.starts_with(client_nonce) && nonce.len() > client_nonce.len());
    assert!(attr(&server_first, b"s=").is_some() && attr(&server_first, b"i=").is_some());
    assert_out_of_order(server.client_first(a));

    let client_final = with_nonce(b, nonce);
    let r = server.client_final(&client_final);
    assert!(r.is_err(), "forged client-final authenticated");
    assert!(!server.is_authenticated());
    assert_out_of_order(server.client_final(&client_final));
}

/// A client fed server messages the fuzzer made up: it must never count as authenticated.
fn forged_server(a: &[u8], b: &[u8]) {
    let mut client = ScramClient::new(PASSWORD);
    let client_first = client.client_first();
    assert!(client_first.starts_with(b"n,,n=,r="));
    let client_nonce = &client_first[b"n,,n=,r=".len()..];
    assert_out_of_order(client.handle_server_final(b));

    let mut client = ScramClient::new(PASSWORD);
    let client_first = client.client_first();
    let client_nonce_now = &client_first[b"n,,n=,r=".len()..];
    assert_ne!(client_nonce, client_nonce_now, "nonces must be fresh");
    let server_first = with_nonce(a, client_nonce_now);
    if let Some(i) = attr(&server_first, b"i=") {
        let n = i.iter().try_fold(0u64, |acc, &d| {
            d.is_ascii_digit()
                .then(|| acc.saturating_mul(10).saturating_add(u64::from(d - b'0')))
        });
        if n.is_some_and(|n| n > CLIENT_ITERATION_BUDGET && n <= u64::from(MAX_ITERATIONS)) {
            return;
        }
    }
    match client.handle_server_first(&server_first) {
        Ok(client_final) => {
            let text = std::str::from_utf8(&client_final).expect("client-final is ASCII");
            assert!(text.starts_with("c=biws,r="));
            assert!(text.contains(",p="));
            assert_out_of_order(client.handle_server_first(&server_first));
            let r = client.handle_server_final(b);
            assert!(r.is_err(), "forged server-final authenticated");
        }
        Err(_) => assert_out_of_order(client.handle_server_final(b)),
    }
    assert!(!client.is_authenticated());
    assert_out_of_order(client.handle_server_final(b));
}

/// Client and server agree exactly when the password is right.
fn honest(password: &[u8], salt: &[u8], wrong: bool) {
    let password = String::from_utf8_lossy(password);
    let salt = if salt.is_empty() { b"s" } else { salt };
    let iterations = 1 + salt.len() as u32 % 3;
    let verifier = ScramVerifier::with_salt(&password, salt, iterations);
    assert_eq!(verifier.iterations(), iterations);
    assert!(verifier.verify_password(&password));
    let reparsed = ScramVerifier::from_str(&verifier.to_string()).expect("verifier round trip");
    assert_eq!(reparsed.to_string(), verifier.to_string());

    let client_password = if wrong {
        format!("{password}x")
    } else {
        password.to_string()
    };
    let mut client = ScramClient::new(&client_password);
    let mut server = ScramServer::new(&reparsed);
    let server_first = server
        .client_first(&client.client_first())
        .expect("client-first");
    let client_final = client
        .handle_server_first(&server_first)
        .expect("server-first");
    match server.client_final(&client_final) {
        Ok(server_final) => {
            assert!(!wrong, "wrong password authenticated");
            assert!(server.is_authenticated());
            client
                .handle_server_final(&server_final)
                .expect("server signature");
            assert!(client.is_authenticated());
        }
        Err(e) => {
            assert!(wrong, "right password refused: {e:?}");
            assert_eq!(e, AuthError::BadProof);
            assert!(!server.is_authenticated());
            let r = client.handle_server_final(b"e=invalid-proof");
            assert_eq!(r, Err(AuthError::ServerError("invalid-proof".into())));
        }
    }

    // Unknown user: the same honest client is turned away.
    let mut mock = ScramServer::new_mock_with_iterations(salt, iterations);
    let mut client = ScramClient::new(&client_password);
    let server_first = mock
        .client_first(&client.client_first())
        .expect("mock first");
    let client_final = client
        .handle_server_first(&server_first)
        .expect("mock salt");
    assert_eq!(mock.client_final(&client_final), Err(AuthError::BadProof));
    assert!(!mock.is_authenticated());
}

fn verifiers(payload: &[u8]) {
    let Ok(text) = std::str::from_utf8(payload) else {
        return;
    };
    let scram = ScramVerifier::from_str(text);
    let md5 = Md5Verifier::from_str(text);
    let Ok(v) = PasswordVerifier::from_str(text) else {
        assert!(scram.is_err() && md5.is_err());
        return;
    };
    let shown = v.to_string();
    let again = PasswordVerifier::from_str(&shown).expect("printed verifier parses");
    assert_eq!(again.to_string(), shown);
    let _ = format!("{v:?}");
    match v {
        PasswordVerifier::Md5(m) => {
            assert!(scram.is_err());
            assert_eq!(md5.expect("md5 parses alone").to_string(), shown);
            assert_eq!(shown, text, "md5 verifiers are canonical");
            let _ = m.verify_password("u", PASSWORD);
        }
        PasswordVerifier::ScramSha256(s) => {
            assert!(md5.is_err());
            assert_eq!(scram.expect("scram parses alone").to_string(), shown);
            assert!((1..=MAX_ITERATIONS).contains(&s.iterations()));
            assert!(!s.salt().is_empty());
            if s.iterations() <= 16 {
                let _ = s.verify_password(PASSWORD);
            }
            let mut server = ScramServer::new(&s);
            let first = server
                .client_first(b"n,,n=,r=fuzz")
                .expect("valid client-first");
            let i = attr(&first, b"i=").expect("i=");
            assert_eq!(i, s.iterations().to_string().as_bytes());
        }
    }
}

fn md5(user: &[u8], password: &[u8], payload: &[u8], flags: u8) {
    let user = String::from_utf8_lossy(user);
    let password = String::from_utf8_lossy(password);
    let salt = [flags, flags.wrapping_add(1), 0, flags ^ 0x5a];
    let v = Md5Verifier::generate(&user, &password);
    assert!(v.verify_password(&user, &password));
    let response = v.response(salt);
    assert_eq!(response, md5_response(&user, &password, salt));
    assert_eq!(response.len(), 35);
    assert!(v.verify_response(response.as_bytes(), salt));
    let mut with_nul = response.clone().into_bytes();
    with_nul.push(0);
    assert!(v.verify_response(&with_nul, salt));
    let stripped = payload.strip_suffix(&[0]).unwrap_or(payload);
    assert_eq!(
        v.verify_response(payload, salt),
        stripped == response.as_bytes()
    );
    let parsed = Md5Verifier::from_str(&v.to_string()).expect("md5 round trip");
    assert!(parsed.verify_response(response.as_bytes(), salt));
    check_mechanism(SCRAM_SHA_256.as_bytes()).expect("SCRAM-SHA-256 offered");
}
