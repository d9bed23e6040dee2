//! Secrets never show in `Debug`/`Display`, including inside a loaded config.

use articdbm_config::{Env, Secret, load_str};

#[test]
fn secret_debug_and_display_are_redacted() {
    let secret = Secret::new("hunter2");
    assert_eq!(format!("{secret:?}"), "<redacted>");
    assert_eq!(secret.to_string(), "<redacted>");
    assert_eq!(secret.expose(), "hunter2");
}

#[test]
fn loaded_config_debug_hides_backend_password() {
    let env = Env::from_iter([("MAIN_PW", "hunter2")]);
    let config = load_str("[databases.main]\npassword_env = \"MAIN_PW\"\n", &env).expect("valid");
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(!format!("{env:?}").contains("hunter2"));
}
