use std::process::{Child, Command, Stdio};
use std::time::Duration;

use echos_tests::{Browser, TestApp};

/// A real SMTP server on a free local port (aiosmtpd), storing what it receives in a Maildir.
struct SmtpSink {
    child: Child,
    port: u16,
    maildir: std::path::PathBuf,
}

impl SmtpSink {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let maildir = std::env::temp_dir().join(format!("echos-smtp-{}", uuid::Uuid::new_v4().simple()));
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        // Owned at once, so that it is stopped (and waited for) whatever happens next.
        let sink = Self { child, port, maildir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(sink);
        panic!("aiosmtpd did not start: is it installed (pip install aiosmtpd)?");
    }

    fn messages(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else { return vec![] };
        dir.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

#[tokio::test]
async fn the_smtp_transport_delivers_to_a_real_smtp_server() {
    let sink = SmtpSink::start().await;
    let mut cfg = echos_tests::config();
    cfg.mail.transport = "smtp".into();
    cfg.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", sink.port));
    cfg.mail.from = "reseau@echosciences.example".into();
    let app = TestApp::with_config(cfg).await;
    let a = app.tenant().await;
    let email = crate::accounts::unique_email();
    crate::accounts::sign_up(&app, &a.host, "Théodore Monod", &email, &mut Browser::new()).await;
    assert_eq!(app.run_jobs(&[&a]).await, 1);
    let mut found = None;
    for _ in 0..100 {
        found = sink.messages().into_iter().find(|m| m.contains(&email));
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let message = found.expect("the message reached the SMTP server");
    assert!(message.contains("reseau@echosciences.example"), "sent from the configured address");
    assert!(message.contains(&format!("http://{}/confirmer/", a.host)));
}
