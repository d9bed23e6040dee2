//! Authentication against vectors computed independently (tests/fixtures/gen_vectors.py, with
//! Python's hashlib and `cryptography`), and both sides of every flow driven against each other.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap fixture data

use articdbm_wire_mysql::Capabilities;
use articdbm_wire_mysql::auth::scramble::{caching_sha2_scramble, native_scramble};
use articdbm_wire_mysql::auth::{
    AuthClient, AuthError, CachingSha2Server, CachingSha2Verifier, ClientStep, NativeVerifier,
    PasswordVerifier, RsaKeyPair, ServerStep, encrypt_password, generate_nonce,
};
use articdbm_wire_mysql::backend::{AuthMoreData, AuthSwitchRequest, ErrPacket, OkPacket};
use bytes::{Bytes, BytesMut};

const VECTORS: &str = include_str!("fixtures/auth_vectors.txt");
const RSA_CIPHER: &str = include_str!("fixtures/rsa_cipher.txt");
const RSA_PRIVATE: &str = include_str!("fixtures/rsa_private.pem");
const RSA_PUBLIC: &str = include_str!("fixtures/rsa_public.pem");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn scrambles_and_verifiers_match_independent_vectors() {
    let mut n = 0;
    for line in VECTORS.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (plugin, pw, nonce, scramble, verifier) =
            (f[0], unhex(f[1]), unhex(f[2]), unhex(f[3]), f[4]);
        let v: PasswordVerifier = verifier.parse().unwrap();
        assert_eq!(v.plugin(), plugin);
        assert!(v.verify_password(&pw));
        match &v {
            PasswordVerifier::Native(nv) => {
                assert_eq!(native_scramble(&pw, &nonce), scramble);
                assert_eq!(*nv, NativeVerifier::from_password(&pw));
                assert!(nv.verify_scramble(&nonce, &scramble));
                let mut wrong = scramble.clone();
                wrong[0] ^= 1;
                assert!(!nv.verify_scramble(&nonce, &wrong));
                assert!(!nv.verify_scramble(b"another nonce 123456", &scramble));
                assert!(!nv.verify_scramble(&nonce, &scramble[..19]));
                assert!(!nv.verify_scramble(&nonce, b""));
            }
            PasswordVerifier::CachingSha2(cv) => {
                assert_eq!(caching_sha2_scramble(&pw, &nonce), scramble);
                assert_eq!(*cv, CachingSha2Verifier::from_password(&pw));
                assert!(cv.verify_scramble(&nonce, &scramble));
                let mut wrong = scramble.clone();
                wrong[31] ^= 0x80;
                assert!(!cv.verify_scramble(&nonce, &wrong));
                assert!(!cv.verify_scramble(&nonce, b""));
            }
        }
        assert_eq!(v.to_string(), verifier);
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn empty_passwords_send_empty_responses() {
    assert!(native_scramble(b"", b"n").is_empty());
    assert!(caching_sha2_scramble(b"", b"n").is_empty());
    assert!(NativeVerifier::from_password(b"").verify_scramble(b"nonce", b""));
    assert!(!NativeVerifier::from_password(b"x").verify_scramble(b"nonce", b""));
    let v = CachingSha2Verifier::from_password(b"");
    let mut s = CachingSha2Server::new(&v, generate_nonce(), false, None);
    assert_eq!(s.scramble(b""), Ok(ServerStep::Authenticated));
    let v = CachingSha2Verifier::from_password(b"pw");
    let mut s = CachingSha2Server::new(&v, generate_nonce(), false, None);
    assert_eq!(s.scramble(b""), Err(AuthError::BadPassword));
}

#[test]
fn rsa_decrypts_what_python_encrypted() {
    let keys = RsaKeyPair::from_pem(RSA_PRIVATE).unwrap();
    assert_eq!(keys.public_key_pem().trim(), RSA_PUBLIC.trim());
    for line in RSA_CIPHER.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (pw, nonce, c) = (unhex(f[0]), unhex(f[1]), unhex(f[2]));
        assert_eq!(keys.decrypt_password(&c, &nonce).unwrap(), pw);
        // And what we encrypt with the public key decrypts back.
        let ours = encrypt_password(&pw, &nonce, RSA_PUBLIC.as_bytes()).unwrap();
        assert_ne!(ours, c, "OAEP is randomised");
        assert_eq!(keys.decrypt_password(&ours, &nonce).unwrap(), pw);
    }
    assert!(keys.decrypt_password(b"garbage", b"n").is_err());
    assert!(encrypt_password(b"pw", b"n", b"not a key").is_err());
    let reloaded = RsaKeyPair::from_pem(&keys.private_key_pem().unwrap()).unwrap();
    assert_eq!(reloaded.public_key_pem(), keys.public_key_pem());
}

/// Runs an AuthClient against a CachingSha2Server, moving messages like a connection would.
fn sha2_exchange(
    password: &[u8],
    stored: &[u8],
    client_secure: bool,
    server_secure: bool,
    full: bool,
    client: impl FnOnce(AuthClient) -> AuthClient,
    keys: Option<&RsaKeyPair>,
) -> Result<(), AuthError> {
    let verifier = CachingSha2Verifier::from_password(stored);
    let nonce = generate_nonce();
    let mut server = CachingSha2Server::new(&verifier, nonce, server_secure, keys);
    if full {
        server = server.full_auth_only();
    }
    let mut client = client(AuthClient::new(password, client_secure));
    let (plugin, first) = client
        .initial_response(b"caching_sha2_password", &nonce)
        .unwrap();
    assert_eq!(plugin, "caching_sha2_password");
    let mut step = server.scramble(&first);
    let caps = Capabilities::PROTOCOL_41;
    loop {
        let to_client = match step? {
            ServerStep::FastAuthSuccess => {
                let mut b = BytesMut::new();
                AuthMoreData::write(&mut b, &[0x03]);
                assert_eq!(client.handle(&b.freeze())?, ClientStep::Wait);
                ok_packet(caps)
            }
            ServerStep::Authenticated => ok_packet(caps),
            ServerStep::PerformFullAuth => more_data(&[0x04]),
            ServerStep::SendPublicKey(pem) => more_data(pem.as_bytes()),
        };
        match client.handle(&to_client)? {
            ClientStep::Done => return Ok(()),
            ClientStep::Send(data) => step = server.full_auth(&data),
            ClientStep::Wait => panic!("client waits after {to_client:?}"),
        }
    }
}

fn ok_packet(caps: Capabilities) -> Bytes {
    let mut b = BytesMut::new();
    OkPacket::default().write(&mut b, caps);
    b.freeze()
}

fn more_data(d: &[u8]) -> Bytes {
    let mut b = BytesMut::new();
    AuthMoreData::write(&mut b, d);
    b.freeze()
}

#[test]
fn caching_sha2_every_path() {
    let keys = RsaKeyPair::from_pem(RSA_PRIVATE).unwrap();
    let id = |c| c;
    // Fast auth.
    sha2_exchange(b"pw", b"pw", false, false, false, id, None).unwrap();
    assert_eq!(
        sha2_exchange(b"bad", b"pw", false, false, false, id, None),
        Err(AuthError::BadPassword)
    );
    // Full auth over TLS: cleartext.
    sha2_exchange(b"pw", b"pw", true, true, true, id, None).unwrap();
    assert_eq!(
        sha2_exchange(b"bad", b"pw", true, true, true, id, None),
        Err(AuthError::BadPassword)
    );
    // Full auth without TLS: the client knows the key.
    let with_key = |c: AuthClient| c.with_server_public_key(RSA_PUBLIC.as_bytes());
    sha2_exchange(b"pw", b"pw", false, false, true, with_key, Some(&keys)).unwrap();
    // ... or asks for it.
    let retrieve = |c: AuthClient| c.allow_public_key_retrieval(true);
    sha2_exchange(b"pw", b"pw", false, false, true, retrieve, Some(&keys)).unwrap();
    assert_eq!(
        sha2_exchange(b"bad", b"pw", false, false, true, retrieve, Some(&keys)),
        Err(AuthError::BadPassword)
    );
    // Without TLS, key or permission to fetch one, the client refuses to leak the password.
    assert_eq!(
        sha2_exchange(b"pw", b"pw", false, false, true, id, Some(&keys)),
        Err(AuthError::InsecureTransport)
    );
    // A server without keys cannot do full auth on an insecure transport.
    assert_eq!(
        sha2_exchange(b"pw", b"pw", false, false, true, retrieve, None),
        Err(AuthError::InsecureTransport)
    );
}

#[test]
fn client_follows_auth_switch_and_reports_errors() {
    let mut c = AuthClient::new(b"secret", false);
    let (plugin, first) = c
        .initial_response(b"some_other_plugin", b"12345678901234567890")
        .unwrap();
    assert_eq!(plugin, "mysql_native_password");
    assert_eq!(first.len(), 20);
    let nonce = *b"abcdefghijklmnopqrst";
    let mut b = BytesMut::new();
    AuthSwitchRequest::write(&mut b, "mysql_native_password", &nonce);
    match c.handle(&b.freeze()).unwrap() {
        ClientStep::Send(s) => {
            assert!(NativeVerifier::from_password(b"secret").verify_scramble(&nonce, &s))
        }
        other => panic!("{other:?}"),
    }
    let mut b = BytesMut::new();
    ErrPacket::new(1045, "28000", "Access denied").write(&mut b);
    match c.handle(&b.freeze()) {
        Err(AuthError::Server { code: 1045, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(c.is_done());
    assert!(matches!(
        c.handle(&ok_packet(Capabilities::PROTOCOL_41)),
        Err(AuthError::OutOfOrder(_))
    ));

    let mut c = AuthClient::new(b"secret", false);
    c.initial_response(b"mysql_native_password", &nonce)
        .unwrap();
    let mut b = BytesMut::new();
    AuthSwitchRequest::write(&mut b, "auth_gssapi_client", b"x");
    assert!(matches!(
        c.handle(&b.freeze()),
        Err(AuthError::UnsupportedPlugin(_))
    ));
    let mut c = AuthClient::new(b"secret", false);
    c.initial_response(b"mysql_native_password", &nonce)
        .unwrap();
    let mut b = BytesMut::new();
    AuthSwitchRequest::write(&mut b, "mysql_clear_password", b"");
    assert_eq!(c.handle(&b.freeze()), Err(AuthError::InsecureTransport));
}

#[test]
fn server_state_machine_refuses_out_of_order_use() {
    let v = CachingSha2Verifier::from_password(b"pw");
    let mut s = CachingSha2Server::new(&v, generate_nonce(), true, None);
    assert!(matches!(
        s.full_auth(b"pw\0"),
        Err(AuthError::OutOfOrder(_))
    ));
    let mut s = CachingSha2Server::new(&v, generate_nonce(), true, None).full_auth_only();
    assert_eq!(s.scramble(&[0; 32]), Ok(ServerStep::PerformFullAuth));
    assert!(matches!(
        s.scramble(&[0; 32]),
        Err(AuthError::OutOfOrder(_))
    ));
    assert_eq!(
        s.full_auth(b"pw"),
        Err(AuthError::Malformed("cleartext password without NUL"))
    );
    assert!(matches!(
        s.full_auth(b"pw\0"),
        Err(AuthError::OutOfOrder(_))
    ));
}
