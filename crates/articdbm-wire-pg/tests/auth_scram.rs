//! SCRAM-SHA-256: our server against postgres-protocol's client (a real implementation),
//! our client against our server, verifiers as PostgreSQL stores them, malformed input,
//! and a pseudo-random no-panic sweep over both state machines.

use articdbm_wire_pg::auth::{
    AuthError, MAX_ITERATIONS, PasswordVerifier, SASL_MECHANISMS, SCRAM_SHA_256, ScramClient,
    ScramServer, ScramVerifier, check_mechanism,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `CREATE ROLE tmp_scram_x PASSWORD 'secret'` with `password_encryption = scram-sha-256`,
/// as read back from `pg_authid.rolpassword` (PostgreSQL).
const PG_VERIFIER: &str = "SCRAM-SHA-256$4096:nWCW3Zn8ka/H0gsZJ/4pnw==$9ctPoz4k+2vHYKWn9sQqlS9cDhtvng+Ywa86usdf+ic=:PppWQuWJDpYZ3YGxQXj5SghU4NRgTxidz9XLp+3c+WE=";
const PG_PASSWORD: &str = "secret";

/// Predicate over the error a malformed input must produce.
type Check = fn(&AuthError) -> bool;

fn pg_verifier() -> ScramVerifier {
    PG_VERIFIER.parse().expect("PostgreSQL verifier parses")
}

/// Runs postgres-protocol's client against our server; returns the server's verdict and
/// whether the client accepted the server-final message.
fn run_pg_client(
    server: &mut ScramServer,
    password: &str,
    binding: ChannelBinding,
) -> Result<bool, AuthError> {
    let mut client = ScramSha256::new(password.as_bytes(), binding);
    let server_first = server.client_first(client.message())?;
    client
        .update(&server_first)
        .expect("client accepts server-first");
    let server_final = server.client_final(client.message())?;
    Ok(client.finish(&server_final).is_ok())
}

#[test]
fn postgresql_verifier_parses_round_trips_and_matches_password() {
    let verifier = pg_verifier();
    assert_eq!(verifier.iterations(), 4096);
    assert_eq!(verifier.salt().len(), 16);
    assert_eq!(verifier.to_string(), PG_VERIFIER);
    assert!(verifier.verify_password(PG_PASSWORD));
    assert!(!verifier.verify_password("Secret"));
    let rebuilt = ScramVerifier::with_salt(PG_PASSWORD, verifier.salt(), 4096);
    assert_eq!(rebuilt.to_string(), PG_VERIFIER);
    match PG_VERIFIER.parse::<PasswordVerifier>() {
        Ok(PasswordVerifier::ScramSha256(v)) => assert_eq!(v.to_string(), PG_VERIFIER),
        other => panic!("expected SCRAM verifier, got {other:?}"),
    }
}

#[test]
fn generated_verifier_round_trips() {
    let verifier = ScramVerifier::generate("hunter2", 4096);
    assert_eq!(verifier.salt().len(), 16);
    let text = verifier.to_string();
    assert!(text.starts_with("SCRAM-SHA-256$4096:"), "{text}");
    let parsed: ScramVerifier = text.parse().expect("own output parses");
    assert_eq!(parsed.to_string(), text);
    assert!(parsed.verify_password("hunter2"));
    let other = ScramVerifier::generate("hunter2", 4096);
    assert_ne!(other.salt(), verifier.salt(), "salt is random");
}

#[test]
fn debug_redacts_keys() {
    let verifier = pg_verifier();
    let debug = format!(
        "{verifier:?} {:?} {:?} {:?}",
        PasswordVerifier::ScramSha256(verifier.clone()),
        ScramServer::new(&verifier),
        ScramClient::new(PG_PASSWORD),
    );
    for secret in ["9ctPoz4k", "PppWQuWJ", PG_PASSWORD] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains("redacted"));
}

#[test]
fn server_accepts_postgres_protocol_client() {
    let verifier = pg_verifier();
    for binding in [ChannelBinding::unsupported(), ChannelBinding::unrequested()] {
        let mut server = ScramServer::new(&verifier);
        let client_accepted =
            run_pg_client(&mut server, PG_PASSWORD, binding).expect("right password");
        assert!(client_accepted, "client accepts our server signature");
        assert!(server.is_authenticated());
    }
}

#[test]
fn generated_verifier_works_with_postgres_protocol_client() {
    // postgres-protocol applies SASLprep, which leaves printable ASCII unchanged.
    let password = "p@ss w0rd,=~\"'$";
    let verifier = ScramVerifier::generate(password, 64);
    let mut server = ScramServer::new(&verifier);
    let accepted = run_pg_client(&mut server, password, ChannelBinding::unsupported());
    assert_eq!(accepted, Ok(true));
}

#[test]
fn server_rejects_wrong_password_from_postgres_protocol_client() {
    let verifier = pg_verifier();
    let mut server = ScramServer::new(&verifier);
    let result = run_pg_client(
        &mut server,
        "not-the-password",
        ChannelBinding::unsupported(),
    );
    assert_eq!(result, Err(AuthError::BadProof));
    assert!(!server.is_authenticated());
    // The failed exchange cannot be resumed.
    assert!(matches!(
        server.client_final(b"c=biws,r=x,p=AAAA"),
        Err(AuthError::OutOfOrder(_))
    ));
}

#[test]
fn our_client_against_our_server() {
    let verifier = ScramVerifier::generate("pa ss,w=rd", 256);
    let mut server = ScramServer::new(&verifier);
    let mut client = ScramClient::new("pa ss,w=rd");
    let first = client.client_first();
    assert!(first.starts_with(b"n,,n=,r="));
    let server_first = server.client_first(&first).expect("client-first");
    let client_final = client
        .handle_server_first(&server_first)
        .expect("server-first");
    let server_final = server.client_final(&client_final).expect("right password");
    client
        .handle_server_final(&server_final)
        .expect("server signature verifies");
    assert!(client.is_authenticated());
    assert!(server.is_authenticated());

    // Wrong password.
    let mut server = ScramServer::new(&verifier);
    let mut client = ScramClient::new("password");
    let server_first = server.client_first(&client.client_first()).expect("first");
    let client_final = client.handle_server_first(&server_first).expect("first");
    assert_eq!(server.client_final(&client_final), Err(AuthError::BadProof));
}

#[test]
fn our_client_against_postgresql_verifier() {
    let mut server = ScramServer::new(&pg_verifier());
    let mut client = ScramClient::new(PG_PASSWORD);
    let server_first = server.client_first(&client.client_first()).expect("first");
    let client_final = client.handle_server_first(&server_first).expect("first");
    let server_final = server.client_final(&client_final).expect("final");
    assert_eq!(client.handle_server_final(&server_final), Ok(()));
}

#[test]
fn client_rejects_bad_server_messages() {
    let verifier = ScramVerifier::generate("pw", 64);
    let start = || {
        let mut server = ScramServer::new(&verifier);
        let mut client = ScramClient::new("pw");
        let server_first = server.client_first(&client.client_first()).expect("first");
        let client_final = client.handle_server_first(&server_first).expect("first");
        (server, client, client_final)
    };

    // A server that does not know the keys: signature from another verifier.
    let (_server, mut client, client_final) = start();
    let mut impostor = ScramServer::new(&ScramVerifier::generate("pw", 64));
    let _ = impostor.client_first(b"n,,n=,r=abc");
    let _ = impostor.client_final(&client_final);
    let fake = format!("v={}", STANDARD.encode([7u8; 32]));
    assert_eq!(
        client.handle_server_final(fake.as_bytes()),
        Err(AuthError::BadServerSignature)
    );
    assert!(!client.is_authenticated());

    let (_server, mut client, _) = start();
    assert_eq!(
        client.handle_server_final(b"e=invalid-proof"),
        Err(AuthError::ServerError("invalid-proof".into()))
    );

    let (_server, mut client, _) = start();
    assert!(matches!(
        client.handle_server_final(b"v=not base64!"),
        Err(AuthError::Malformed(_))
    ));

    // Server-first problems.
    let cases: [(&str, Check); 8] = [
        ("", |e| matches!(e, AuthError::Malformed(_))),
        ("r=zzz,s=c2FsdA==,i=4096", |e| {
            *e == AuthError::NonceMismatch
        }),
        ("m=ext,r=zzz,s=c2FsdA==,i=4096", |e| {
            matches!(e, AuthError::Malformed(_))
        }),
        ("r={N}srv,s=%%%,i=4096", |e| {
            matches!(e, AuthError::Malformed(_))
        }),
        ("r={N}srv,s=c2FsdA==,i=99999999", |e| {
            *e == AuthError::IterationCount(99_999_999)
        }),
        ("r={N}srv,s=c2FsdA==,i=0", |e| {
            *e == AuthError::IterationCount(0)
        }),
        ("r={N}srv,s=c2FsdA==", |e| {
            matches!(e, AuthError::Malformed(_))
        }),
        // The server must add its own part to the nonce.
        ("r={N},s=c2FsdA==,i=1", |e| *e == AuthError::NonceMismatch),
    ];
    for (template, check) in cases {
        let mut client = ScramClient::new("pw");
        let first = client.client_first();
        let nonce = std::str::from_utf8(&first[8..]).expect("ascii nonce");
        let msg = template.replace("{N}", nonce);
        let err = client
            .handle_server_first(msg.as_bytes())
            .expect_err("must be rejected");
        assert!(check(&err), "{template}: {err:?}");
        assert!(matches!(
            client.handle_server_first(msg.as_bytes()),
            Err(AuthError::OutOfOrder(_))
        ));
    }
}

#[test]
fn mock_server_is_deterministic_and_always_fails() {
    let server_first = |server: &mut ScramServer| {
        let msg = server
            .client_first(b"n,,n=,r=clientnonce")
            .expect("client-first");
        let text = String::from_utf8(msg).expect("ascii");
        let salt = text
            .split(',')
            .find_map(|f| f.strip_prefix("s="))
            .map(str::to_owned)
            .expect("salt attribute");
        (text, salt)
    };
    let (text_a, salt_a) = server_first(&mut ScramServer::new_mock(b"secret|alice"));
    let (_, salt_a2) = server_first(&mut ScramServer::new_mock(b"secret|alice"));
    let (_, salt_b) = server_first(&mut ScramServer::new_mock(b"secret|bob"));
    assert_eq!(salt_a, salt_a2);
    assert_ne!(salt_a, salt_b);
    assert_eq!(STANDARD.decode(&salt_a).expect("base64").len(), 16);
    assert!(text_a.ends_with(",i=4096"), "{text_a}");
    let (text_c, salt_c) = server_first(&mut ScramServer::new_mock_with_iterations(
        b"secret|alice",
        10,
    ));
    assert_eq!(salt_c, salt_a);
    assert!(text_c.ends_with(",i=10"), "{text_c}");
    let real = server_first(&mut ScramServer::new(&pg_verifier())).0;
    assert_eq!(real.len(), text_a.len(), "mock looks like a real exchange");

    for password in [PG_PASSWORD, "", "anything"] {
        let mut server = ScramServer::new_mock(b"secret|alice");
        let result = run_pg_client(&mut server, password, ChannelBinding::unsupported());
        assert_eq!(result, Err(AuthError::BadProof));
        assert!(!server.is_authenticated());
    }
}

#[test]
fn mechanism_selection() {
    assert_eq!(SASL_MECHANISMS, &[SCRAM_SHA_256]);
    assert_eq!(check_mechanism(b"SCRAM-SHA-256"), Ok(()));
    assert_eq!(
        check_mechanism(b"SCRAM-SHA-256-PLUS"),
        Err(AuthError::UnsupportedMechanism("SCRAM-SHA-256-PLUS".into()))
    );
    assert!(check_mechanism(b"").is_err());
}

#[test]
fn server_rejects_malformed_client_first() {
    let cases: &[(&[u8], AuthError)] = &[
        (
            b"",
            AuthError::Malformed("invalid gs2 channel binding flag"),
        ),
        (
            b"garbage",
            AuthError::Malformed("invalid gs2 channel binding flag"),
        ),
        (
            b"\xff\x00\x01",
            AuthError::Malformed("invalid gs2 channel binding flag"),
        ),
        (
            b"p=tls-server-end-point,,n=,r=abc",
            AuthError::ChannelBindingUnsupported,
        ),
        (b"n", AuthError::Malformed("gs2 header is incomplete")),
        (b"n,", AuthError::Malformed("gs2 header is incomplete")),
        (
            b"n,a=admin,n=,r=abc",
            AuthError::Malformed("authorization identity is not supported"),
        ),
        (b"n,x,n=,r=abc", AuthError::Malformed("invalid gs2 authzid")),
        (
            b"n,,m=ext,n=,r=abc",
            AuthError::Malformed("mandatory extensions are not supported"),
        ),
        (
            b"n,,r=abc",
            AuthError::Malformed("client-first-message is missing the username attribute n="),
        ),
        (
            b"n,,n=",
            AuthError::Malformed("client-first-message is missing the nonce attribute r="),
        ),
        (
            b"n,,n=,r=",
            AuthError::Malformed("client nonce is empty or not printable"),
        ),
        (
            b"n,,n=,r=ab cd",
            AuthError::Malformed("client nonce is empty or not printable"),
        ),
    ];
    for (msg, expected) in cases {
        let mut server = ScramServer::new(&pg_verifier());
        assert_eq!(
            server.client_first(msg).as_ref(),
            Err(expected),
            "{}",
            String::from_utf8_lossy(msg)
        );
    }
    // Extensions after the nonce are ignored, and the user name is not checked.
    let mut server = ScramServer::new(&pg_verifier());
    assert!(server.client_first(b"y,,n=whoever,r=abc,x=ext").is_ok());
}

#[test]
fn server_rejects_malformed_client_final() {
    let verifier = pg_verifier();
    let start = |first: &[u8]| {
        let mut server = ScramServer::new(&verifier);
        let server_first = server.client_first(first).expect("client-first");
        let text = String::from_utf8(server_first).expect("ascii");
        let nonce = text
            .split(',')
            .next()
            .and_then(|f| f.strip_prefix("r="))
            .map(str::to_owned)
            .expect("nonce");
        (server, nonce)
    };
    let proof = STANDARD.encode([0u8; 32]);
    let cases: Vec<(String, AuthError)> = vec![
        (
            String::new(),
            AuthError::Malformed("client-final-message has no proof attribute"),
        ),
        (
            "c=biws,r={N}".into(),
            AuthError::Malformed("client-final-message has no proof attribute"),
        ),
        (
            "r={N},p={P}".into(),
            AuthError::Malformed(
                "client-final-message must start with channel binding attribute c=",
            ),
        ),
        (
            "c=biws,p={P}".into(),
            AuthError::Malformed("client-final-message is missing the nonce attribute r="),
        ),
        (
            "c=!!!!,r={N},p={P}".into(),
            AuthError::Malformed("channel binding attribute is not valid base64"),
        ),
        // "y,," does not match the "n,," header the client sent first.
        (
            "c=eSws,r={N},p={P}".into(),
            AuthError::ChannelBindingMismatch,
        ),
        ("c=biws,r={N}x,p={P}".into(), AuthError::NonceMismatch),
        (
            "c=biws,r=clientnonce,p={P}".into(),
            AuthError::NonceMismatch,
        ),
        (
            "c=biws,r={N},p=not*base64".into(),
            AuthError::Malformed("proof is not 32 bytes of base64"),
        ),
        (
            "c=biws,r={N},p=AAAA".into(),
            AuthError::Malformed("proof is not 32 bytes of base64"),
        ),
        (
            "c=biws,r={N},p={P},x=1".into(),
            AuthError::Malformed("garbage after the proof attribute"),
        ),
        // Well formed, wrong proof; extensions before the proof are ignored.
        ("c=biws,r={N},x=ext,p={P}".into(), AuthError::BadProof),
    ];
    for (template, expected) in cases {
        let (mut server, nonce) = start(b"n,,n=,r=clientnonce");
        let msg = template.replace("{N}", &nonce).replace("{P}", &proof);
        assert_eq!(server.client_final(msg.as_bytes()), Err(expected), "{msg}");
    }

    let mut server = ScramServer::new(&verifier);
    assert!(matches!(
        server.client_final(b"c=biws,r=a,p=AAAA"),
        Err(AuthError::OutOfOrder(_))
    ));
}

#[test]
fn malformed_scram_verifiers_are_rejected() {
    let key = STANDARD.encode([1u8; 32]);
    let short = STANDARD.encode([1u8; 31]);
    let cases: Vec<(String, Check)> = vec![
        (String::new(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-1$4096:c2FsdA==${K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096:c2FsdA==${K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096${K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$abc:c2FsdA==${K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$-1:c2FsdA==${K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$0:c2FsdA==${K}:{K}".into(), |e| {
            *e == AuthError::IterationCount(0)
        }),
        ("SCRAM-SHA-256$10000001:c2FsdA==${K}:{K}".into(), |e| {
            *e == AuthError::IterationCount(10_000_001)
        }),
        (
            "SCRAM-SHA-256$99999999999999999999999:c2FsdA==${K}:{K}".into(),
            |e| matches!(e, AuthError::IterationCount(_)),
        ),
        ("SCRAM-SHA-256$4096:%%%${K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096:${K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096:c2FsdA==${S}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096:c2FsdA==${K}:{S}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096:c2FsdA==${K}:{K}:{K}".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("SCRAM-SHA-256$4096:c2FsdA==${K}:{K}$".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
        ("secret".into(), |e| {
            matches!(e, AuthError::InvalidVerifier(_))
        }),
    ];
    for (template, check) in cases {
        let text = template.replace("{K}", &key).replace("{S}", &short);
        let err = text.parse::<ScramVerifier>().expect_err("must be rejected");
        assert!(check(&err), "{text}: {err:?}");
        assert!(text.parse::<PasswordVerifier>().is_err(), "{text}");
    }
    // The largest allowed iteration count parses.
    let max = format!("SCRAM-SHA-256${MAX_ITERATIONS}:c2FsdA==${key}:{key}");
    assert_eq!(
        max.parse::<ScramVerifier>().map(|v| v.iterations()),
        Ok(MAX_ITERATIONS)
    );
}

/// Random bytes, or a valid message with a few random edits (more likely to get deep).
fn fuzz_input(rng: &mut StdRng, valid: &[u8]) -> Vec<u8> {
    if rng.random_bool(0.3) {
        let len = rng.random_range(0..80);
        return (0..len).map(|_| rng.random()).collect();
    }
    let mut msg = valid.to_vec();
    for _ in 0..rng.random_range(1..4) {
        let pos = rng.random_range(0..=msg.len());
        let byte = if rng.random_bool(0.5) {
            *b",=nrcpsiy0123A/+ \x00\xff"
                .get(rng.random_range(0..18))
                .unwrap_or(&b',')
        } else {
            rng.random()
        };
        match rng.random_range(0..3) {
            0 if pos < msg.len() => msg[pos] = byte,
            1 => msg.insert(pos, byte),
            _ => msg.truncate(pos),
        }
    }
    msg
}

#[test]
fn random_input_never_panics() {
    let mut rng = StdRng::seed_from_u64(0x5c7a_11ed);
    let verifier = ScramVerifier::generate("pw", 1);
    let mut accepted_first = 0;
    for _ in 0..3000 {
        // Server: client-first, then client-final after a valid client-first.
        let mut server = ScramServer::new(&verifier);
        if server
            .client_first(&fuzz_input(&mut rng, b"n,,n=,r=abcdef"))
            .is_ok()
        {
            accepted_first += 1;
        }
        let mut server = if rng.random_bool(0.5) {
            ScramServer::new(&verifier)
        } else {
            ScramServer::new_mock_with_iterations(b"seed", 1)
        };
        let mut client = ScramClient::new("pw");
        let server_first = server
            .client_first(&client.client_first())
            .expect("valid first");
        let client_final = client
            .handle_server_first(&server_first)
            .expect("valid server-first");
        let _ = server.client_final(&fuzz_input(&mut rng, &client_final));

        // Client: server-first (iteration count 1, so edits keep PBKDF2 cheap) and server-final.
        let mut client = ScramClient::new("pw");
        let nonce = client.client_first()[8..].to_vec();
        let mut valid = b"r=".to_vec();
        valid.extend_from_slice(&nonce);
        valid.extend_from_slice(b"srv,s=c2FsdA==,i=1");
        let _ = client.handle_server_first(&fuzz_input(&mut rng, &valid));
        let mut client = ScramClient::new("pw");
        let mut server = ScramServer::new(&verifier);
        let server_first = server.client_first(&client.client_first()).expect("first");
        let client_final = client.handle_server_first(&server_first).expect("first");
        let server_final = server.client_final(&client_final).expect("final");
        let _ = client.handle_server_final(&fuzz_input(&mut rng, &server_final));

        // Verifier parsing.
        let text = fuzz_input(&mut rng, PG_VERIFIER.as_bytes());
        let _ = String::from_utf8_lossy(&text).parse::<PasswordVerifier>();
    }
    assert!(accepted_first > 0, "fuzz inputs sometimes stay valid");
}
