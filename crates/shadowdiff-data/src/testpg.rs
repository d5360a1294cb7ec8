//! A throwaway PostgreSQL server for tests: `initdb` in a temp folder, started on a free port
//! of 127.0.0.1 with trust authentication, stopped when dropped. Run as the `postgres` user when
//! the tests run as root (PostgreSQL refuses root). Where PostgreSQL is not installed the
//! test says so on stderr and does not run, unless `SHADOWDIFF_REQUIRE_POSTGRES=1` (set by
//! .ci/run, which installs it), where that fails it. The unit tests of the PostgreSQL source
//! and the integration tests (through the feature `test-support`) share it.

use std::io::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Set to `1` where a missing PostgreSQL must fail the test rather than skip it.
const REQUIRE_POSTGRES: &str = "SHADOWDIFF_REQUIRE_POSTGRES";

/// The role every test connects as.
const USER: &str = "shadowdiff";

/// A running server.
pub struct TestPg {
    /// The folder of PostgreSQL's programs.
    bin: PathBuf,
    /// The server's files, its log and its socket.
    dir: tempfile::TempDir,
    /// The port it listens on at 127.0.0.1.
    port: u16,
    /// Whether its programs run as the `postgres` user (the tests run as root).
    as_postgres: bool,
}

/// The folder of PostgreSQL's server programs: `initdb`'s on PATH, else the newest
/// `/usr/lib/postgresql/*/bin` (Debian keeps them off PATH).
fn find_bin() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let on_path = std::env::split_paths(&path)
        .map(|dir| dir.join("initdb"))
        .find(|candidate| candidate.is_file())
        .and_then(|initdb| std::fs::canonicalize(initdb).ok())
        .and_then(|initdb| initdb.parent().map(Path::to_path_buf));
    on_path.or_else(|| {
        let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let version = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                bin.join("initdb").is_file().then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, bin)| bin)
    })
}

/// Whether the tests run as root.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `runuser`, which runs the server's programs as `postgres`: on PATH, else where util-linux
/// puts it (/usr/sbin, /sbin), which a root shell's PATH does not always hold.
fn runuser() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|dir| dir.join("runuser"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("runuser"))
}

/// The output of a command that must succeed.
fn succeed(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("cannot run {what}: {err}"));
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

impl TestPg {
    /// A started server, or `None` (said on stderr) when PostgreSQL is not installed and not
    /// required.
    pub fn start() -> Option<TestPg> {
        let Some(bin) = find_bin() else {
            let why = "PostgreSQL's initdb is neither on PATH nor in /usr/lib/postgresql/*/bin; \
                       `apt-get install -y postgresql` installs it";
            let required = std::env::var_os(REQUIRE_POSTGRES).is_some_and(|v| v == "1");
            assert!(!required, "{REQUIRE_POSTGRES}=1 but {why}");
            eprintln!("postgres: the test did not run: {why}");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("shadowdiff-pg-")
            .tempdir_in("/tmp")
            .expect("create a temp folder for PostgreSQL");
        let as_postgres = is_root();
        if as_postgres {
            succeed(
                Command::new("chown").arg("postgres:").arg(dir.path()),
                "chown the server's folder to postgres",
            );
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("find a free port")
            .port();
        let server = TestPg {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = server.data();
        succeed(
            server
                .server_command("initdb")
                .arg("-D")
                .arg(&data)
                .args(["-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8"])
                .arg("--locale=C"),
            "initdb",
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.dir.path().display()
        );
        let log = server.dir.path().join("server.log");
        let started = server
            .server_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(&log)
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .output();
        let ok = started.as_ref().is_ok_and(|out| out.status.success());
        assert!(
            ok,
            "pg_ctl start failed: {started:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Some(server)
    }

    /// The folder of the server's files.
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A server program run as the server's owner.
    fn server_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut command = Command::new(runuser());
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }

    /// The URL of the database `postgres` as the test role, TLS off (the server has none).
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// The rows `sql` returns, one a line, fields separated by `|` (`psql -At`).
    pub fn query(&self, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &self.url(),
                "-c",
                sql,
            ])
            .output()
            .expect("run psql");
        assert!(
            output.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The port the server listens on at 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs `sql` (several statements, stopping at the first error) with `psql`.
    pub fn execute(&self, sql: &str) {
        let mut child = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
            .args(["-p", &self.port.to_string(), "-U", USER, "-d", "postgres"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql");
        child
            .stdin
            .take()
            .expect("psql's input")
            .write_all(sql.as_bytes())
            .expect("write to psql");
        let output = child.wait_with_output().expect("wait for psql");
        assert!(
            output.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// From now on, TCP connections must give their role's password (SCRAM); roles made
    /// before still exist, but the test role has none, so run any SQL first.
    pub fn require_passwords(&self) {
        let rules = "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
        std::fs::write(self.data().join("pg_hba.conf"), rules).expect("write pg_hba.conf");
        succeed(
            self.server_command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["reload"]),
            "pg_ctl reload",
        );
    }

    /// Turns TLS on, with a certificate for the name `localhost` (not for 127.0.0.1) signed by
    /// a throwaway certificate authority made by `openssl`; returns the authority's PEM file.
    pub fn enable_tls(&self) -> PathBuf {
        let data = self.data();
        let dir = self.dir.path();
        let openssl = |args: &[&str], what: &str| {
            succeed(Command::new("openssl").current_dir(dir).args(args), what);
        };
        openssl(
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=shadowdiff test authority",
                "-keyout",
                "ca.key",
                "-out",
                "ca.crt",
            ],
            "openssl req (the authority)",
        );
        std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost\n")
            .expect("write the certificate's extensions");
        openssl(
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ],
            "openssl req (the server)",
        );
        openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
                "-extfile",
                "ext.cnf",
                "-out",
                "server.crt",
            ],
            "openssl x509 (signing the server's certificate)",
        );
        for file in ["server.key", "server.crt"] {
            std::fs::copy(dir.join(file), data.join(file)).expect("copy the certificate");
            if self.as_postgres {
                succeed(
                    Command::new("chown").arg("postgres:").arg(data.join(file)),
                    "chown the certificate to postgres",
                );
            }
        }
        succeed(
            Command::new("chmod")
                .arg("600")
                .arg(data.join("server.key")),
            "chmod the key",
        );
        self.execute("ALTER SYSTEM SET ssl = on;\nSELECT pg_reload_conf();");
        dir.join("ca.crt")
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .server_command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_server_runs_sql_and_stops_when_dropped() {
        let Some(server) = TestPg::start() else {
            return;
        };
        server.execute(
            "CREATE TABLE t (id int, name text); INSERT INTO t VALUES (1, 'a'), (2, 'b');",
        );
        assert_eq!(
            server.query("SELECT id, name FROM t ORDER BY id"),
            "1|a\n2|b\n"
        );
        let port = server.port;
        drop(server);
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }
}
