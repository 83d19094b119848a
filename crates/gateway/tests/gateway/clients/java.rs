//! pgjdbc, Debian's `libpostgresql-jdbc-java`, with a program compiled by `javac`.

use super::{assert_denials, denials, program, programs, require, run, setup};

const JAR: &str = "/usr/share/java/postgresql.jar";

#[tokio::test]
async fn pgjdbc_works_with_table_permissions_and_its_metadata_with_db_metadata() {
    let javac = program("javac", "a JDK (Debian's `default-jdk-headless`)");
    let java = program("java", "a JDK (Debian's `default-jdk-headless`)");
    require(JAR, "Debian's `libpostgresql-jdbc-java`");
    let classes = tempfile::tempdir().unwrap();
    let mut build = tokio::process::Command::new(javac);
    build
        .args(["-cp", JAR, "-d"])
        .arg(classes.path())
        .arg(programs("java").join("JdbcClient.java"));
    run("compiling the pgjdbc client", build).await;
    let Some((env, token)) = setup(&["public-write"]).await else {
        return;
    };
    let url = format!(
        "jdbc:postgresql://127.0.0.1:{}/{}?user=alice&password={token}&sslmode=disable&prepareThreshold=1&ApplicationName=pgjdbc",
        env.gateway_port(),
        env.target
    );
    let classpath = format!("{JAR}:{}", classes.path().display());
    let client = |mode: &str| {
        let mut cmd = tokio::process::Command::new(&java);
        cmd.args([
            "-Xshare:auto",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            &classpath,
            "JdbcClient",
            mode,
            &url,
        ]);
        cmd
    };
    run("pgjdbc", client("basic")).await;
    env.grant("alice", "db-metadata", "30m").await;
    run("pgjdbc's DatabaseMetaData", client("metadata")).await;
    assert_denials(&denials(&env).await, &["pg_description", "pg_authid"]);
    env.stop().await;
}
