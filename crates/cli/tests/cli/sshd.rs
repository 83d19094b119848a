//! A throwaway OpenSSH server on loopback for the SSH tests: its own host key, configuration
//! and directory; trusting a user CA, with principals files and a key revocation list. It
//! fails naming `sshd` when Debian's `openssh-server` is not installed.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

/// The user the tests log in as: whoever runs them.
pub fn login() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Fails naming what to install when an OpenSSH program is missing.
pub fn require(program: &str) {
    let found = if program.starts_with('/') {
        Path::new(program).is_file()
    } else {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    assert!(
        found,
        "`{program}` is not installed; the SSH tests need OpenSSH (Debian: `apt-get install openssh-server openssh-client`)"
    );
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `ssh-keygen -t ed25519 -N '' -f path`.
pub fn keygen(path: &Path) {
    require("ssh-keygen");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    /// The host key's public line (`ssh-ed25519 AAAA...`).
    #[allow(dead_code, reason = "read by the gateway tests")]
    pub host_key: String,
}

impl Sshd {
    /// Starts `sshd -D` in `dir` trusting `ca_pub`, with `RevokedKeys` at `dir/revoked.krl`
    /// (which the caller must write before logging in) and principals in `dir/principals/%u`.
    pub fn start(dir: &Path, ca_pub: Option<&Path>, authorized_keys: Option<&Path>) -> Sshd {
        require(SSHD);
        // sshd refuses to start without its privilege separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        std::fs::create_dir_all(dir.join("principals")).unwrap();
        let host = dir.join("host_key");
        if !host.exists() {
            keygen(&host);
        }
        let host_key = std::fs::read_to_string(dir.join("host_key.pub"))
            .unwrap()
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        let port = free_port();
        let mut config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile {pid}\n\
             UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\nStrictModes no\nLogLevel VERBOSE\n\
             PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n\
             AuthorizedPrincipalsFile {principals}/%u\nMaxStartups 200\nMaxSessions 50\n",
            host = host.display(),
            pid = dir.join("sshd.pid").display(),
            principals = dir.join("principals").display(),
        );
        if let Some(ca) = ca_pub {
            config.push_str(&format!(
                "TrustedUserCAKeys {}\nRevokedKeys {}\n",
                ca.display(),
                dir.join("revoked.krl").display()
            ));
        }
        match authorized_keys {
            Some(k) => config.push_str(&format!("AuthorizedKeysFile {}\n", k.display())),
            None => config.push_str("AuthorizedKeysFile none\n"),
        }
        let config_path = dir.join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut sshd = Sshd {
            child,
            port,
            dir: dir.to_path_buf(),
            host_key,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = sshd.child.try_wait().unwrap() {
                panic!("sshd exited with {status}: {}", sshd.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "sshd did not listen on {port}: {}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        sshd
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    /// Lets `principal` log in as `login`.
    pub fn allow(&self, login: &str, principal: &str) {
        std::fs::write(
            self.dir.join("principals").join(login),
            format!("{principal}\n"),
        )
        .unwrap();
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// OpenSSH's options for no user configuration and no host key checks.
pub const NO_USER_CONFIG: [&str; 6] = [
    "-F",
    "/dev/null",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
];

/// `ssh` with no user configuration, no host key checks and no prompts, then `args`.
pub fn ssh(port: u16, args: &[&str]) -> Command {
    ssh_at("ERROR", port, args)
}

/// [`ssh`] logging at `level` (`INFO` shows why the server refused a channel).
pub fn ssh_at(level: &str, port: u16, args: &[&str]) -> Command {
    require("ssh");
    let mut cmd = Command::new("ssh");
    cmd.args(NO_USER_CONFIG)
        .args([
            "-o",
            &format!("LogLevel={level}"),
            "-o",
            "ConnectTimeout=30",
            "-p",
            &port.to_string(),
        ])
        .args(args)
        .stdin(Stdio::null());
    cmd
}
