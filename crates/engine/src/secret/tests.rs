//! The secret reader: both sources, what is trimmed, what is refused, and messages that
//! never hold the value.

use std::env::VarError;
use std::ffi::OsString;

use super::*;

const SECRET: &str = "hunter2-sEcReT";

fn env(value: Result<&str, VarError>) -> Result<String, SecretError> {
    let source = PasswordSource::Env("WICKET_TEST_SECRET".into());
    read_with(&source, |name| {
        assert_eq!(name, "WICKET_TEST_SECRET");
        value.map(str::to_string)
    })
}

fn file(content: &str) -> Result<String, SecretError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, content).unwrap();
    read(&PasswordSource::File(path.display().to_string()))
}

#[test]
fn a_set_variable_is_read() {
    assert_eq!(env(Ok(SECRET)).unwrap(), SECRET);
    assert_eq!(env(Ok(&format!("{SECRET}\r\n"))).unwrap(), SECRET);
    // The real environment, through a variable every test run has.
    let path = std::env::var("PATH").unwrap();
    let read = read(&PasswordSource::Env("PATH".into())).unwrap();
    assert_eq!(read, path.trim_end_matches(['\r', '\n']));
}

#[test]
fn an_unset_or_garbled_variable_is_named() {
    let e = env(Err(VarError::NotPresent)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the environment variable `WICKET_TEST_SECRET` is not set"
    );
    let e = env(Err(VarError::NotUnicode(OsString::from(SECRET)))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the environment variable `WICKET_TEST_SECRET` does not hold UTF-8 text"
    );
    let e = read(&PasswordSource::Env(
        "WICKET_SECRET_TEST_SURELY_UNSET".into(),
    ))
    .unwrap_err();
    assert!(matches!(e, SecretError::Unset(_)), "{e}");
}

#[test]
fn a_file_loses_its_trailing_line_endings_and_nothing_else() {
    assert_eq!(file(SECRET).unwrap(), SECRET);
    assert_eq!(file(&format!("{SECRET}\n")).unwrap(), SECRET);
    assert_eq!(file(&format!("{SECRET}\r\n")).unwrap(), SECRET);
    assert_eq!(file(&format!("{SECRET}\n\n")).unwrap(), SECRET);
    assert_eq!(
        file(&format!(" {SECRET} \n")).unwrap(),
        format!(" {SECRET} ")
    );
}

#[test]
fn a_missing_file_is_named_with_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent").display().to_string();
    let e = read(&PasswordSource::File(path.clone())).unwrap_err();
    let message = e.to_string();
    assert!(
        message.starts_with(&format!("cannot read `{path}`: ")),
        "{message}"
    );
    assert!(matches!(e, SecretError::Unreadable { .. }));
}

#[test]
fn an_empty_secret_is_refused_naming_where_it_came_from() {
    let e = env(Ok("\n")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the environment variable `WICKET_TEST_SECRET` is empty"
    );
    for content in ["", "\n", "\r\n"] {
        let e = file(content).unwrap_err();
        assert!(matches!(e, SecretError::EmptyFile(_)), "{e}");
        assert!(e.to_string().ends_with("` is empty"), "{e}");
    }
}

#[test]
fn no_message_holds_the_value() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where a file is expected: the read fails after the path is known.
    let errors = [
        env(Err(VarError::NotPresent)).unwrap_err(),
        env(Err(VarError::NotUnicode(OsString::from(SECRET)))).unwrap_err(),
        env(Ok("\r\n")).unwrap_err(),
        read(&PasswordSource::File(dir.path().display().to_string())).unwrap_err(),
        file("\n").unwrap_err(),
    ];
    for e in errors {
        assert!(!e.to_string().contains(SECRET), "{e}");
        assert!(!format!("{e:?}").contains(SECRET), "{e:?}");
    }
}

#[test]
fn a_failure_names_the_setting_that_chose_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent");
    let source = PasswordSource::File(missing.display().to_string());
    let e = read_setting(&source, "auth.scim.token").unwrap_err();
    assert!(
        e.starts_with(&format!(
            "`auth.scim.token_file`: cannot read `{}`: ",
            missing.display()
        )),
        "{e}"
    );
    std::fs::write(&missing, "value\n").unwrap();
    assert_eq!(read_setting(&source, "auth.scim.token").unwrap(), "value");
}
