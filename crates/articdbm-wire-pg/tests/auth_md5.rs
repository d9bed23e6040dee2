//! md5 authentication: responses match postgres-protocol's client, verifiers match what
//! PostgreSQL stores, and the server-side check works from the verifier alone.

use articdbm_wire_pg::auth::{AuthError, Md5Verifier, PasswordVerifier, md5_response};
use postgres_protocol::authentication::md5_hash;

/// `CREATE ROLE tmp_md5_x PASSWORD 'secret'` with `password_encryption = md5` (PostgreSQL).
const PG_MD5_VERIFIER: &str = "md5b545fa618223f65799f7bab9056117cf";

#[test]
fn response_matches_postgres_protocol() {
    let cases: [(&str, &str, [u8; 4]); 4] = [
        ("postgres", "secret", [1, 2, 3, 4]),
        ("alice", "", [0, 0, 0, 0]),
        ("bob", "pässwörd", [0xff, 0x00, 0x7f, 0x80]),
        ("", "x", [9, 9, 9, 9]),
    ];
    for (user, password, salt) in cases {
        let ours = md5_response(user, password, salt);
        assert_eq!(ours, md5_hash(user.as_bytes(), password.as_bytes(), salt));
        assert_eq!(ours.len(), 35);
        let verifier = Md5Verifier::generate(user, password);
        assert_eq!(verifier.response(salt), ours);
        assert!(verifier.verify_response(ours.as_bytes(), salt));
    }
}

#[test]
fn verifier_matches_postgresql() {
    let generated = Md5Verifier::generate("tmp_md5_x", "secret");
    assert_eq!(generated.to_string(), PG_MD5_VERIFIER);
    let parsed: Md5Verifier = PG_MD5_VERIFIER.parse().expect("valid md5 verifier");
    assert_eq!(parsed.to_string(), PG_MD5_VERIFIER);
    assert!(parsed.verify_password("tmp_md5_x", "secret"));
    assert!(!parsed.verify_password("tmp_md5_x", "Secret"));
    match PG_MD5_VERIFIER.parse::<PasswordVerifier>() {
        Ok(PasswordVerifier::Md5(v)) => assert_eq!(v.to_string(), PG_MD5_VERIFIER),
        other => panic!("expected md5 verifier, got {other:?}"),
    }
}

#[test]
fn verify_response_checks_password_and_salt() {
    let verifier: Md5Verifier = PG_MD5_VERIFIER.parse().expect("valid md5 verifier");
    let salt = [0xde, 0xad, 0xbe, 0xef];
    let good = md5_response("tmp_md5_x", "secret", salt);
    assert!(verifier.verify_response(good.as_bytes(), salt));
    // The C-string terminator of PasswordMessage is tolerated.
    let mut with_nul = good.clone().into_bytes();
    with_nul.push(0);
    assert!(verifier.verify_response(&with_nul, salt));

    assert!(!verifier.verify_response(good.as_bytes(), [0, 0, 0, 0]));
    let wrong = md5_response("tmp_md5_x", "wrong", salt);
    assert!(!verifier.verify_response(wrong.as_bytes(), salt));
    let other_user = md5_response("someone", "secret", salt);
    assert!(!verifier.verify_response(other_user.as_bytes(), salt));
    assert!(!verifier.verify_response(b"", salt));
    assert!(!verifier.verify_response(&good.as_bytes()[..34], salt));
    assert!(!verifier.verify_response(good.to_uppercase().as_bytes(), salt));
    // The stored verifier itself is not a valid response.
    assert!(!verifier.verify_response(PG_MD5_VERIFIER.as_bytes(), salt));
}

#[test]
fn malformed_md5_verifiers_are_rejected() {
    for bad in [
        "",
        "md5",
        "md5b545fa618223f65799f7bab9056117c",
        "md5b545fa618223f65799f7bab9056117cf0",
        "md5B545FA618223F65799F7BAB9056117CF",
        "md5b545fa618223f65799f7bab9056117cg",
        "md5b545fa618223f65799f7bab9056117c\u{e9}",
        "MD5b545fa618223f65799f7bab9056117cf",
        "secret",
    ] {
        assert!(
            matches!(
                bad.parse::<Md5Verifier>(),
                Err(AuthError::InvalidVerifier(_))
            ),
            "{bad:?} should be rejected"
        );
        assert!(bad.parse::<PasswordVerifier>().is_err(), "{bad:?}");
    }
}

#[test]
fn debug_redacts_hash() {
    let verifier: Md5Verifier = PG_MD5_VERIFIER.parse().expect("valid md5 verifier");
    let debug = format!("{verifier:?} {:?}", PasswordVerifier::Md5(verifier.clone()));
    assert!(!debug.contains("b545fa"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}
