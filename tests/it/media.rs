//! Media storage: the same contract for the local directory and for the S3 store, the latter
//! against a real S3-compatible server (`s3s-fs`, installed by `.ci/run`) on a free local port.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use echos_core::config::MediaConfig;
use echos_core::media::{MediaKey, MediaStore};
use echos_core::{Config, CoreError};
use uuid::Uuid;

const PNG_BYTES: &[u8] = b"\x89PNG\r\n\x1a\nnot really, the store does not look";

/// A directory removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("echos-{what}-{}", Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

/// What every store must do. Returns a key of region `a` that is still stored.
async fn behaves_as_a_media_store(store: &MediaStore, a: Uuid, b: Uuid) -> String {
    let key = store.put(a, "avatars", PNG_BYTES.to_vec(), "png", "image/png").await.unwrap();
    assert!(key.starts_with(&format!("tenants/{a}/avatars/")), "{key}");
    assert!(key.ends_with(".png"), "{key}");
    assert_eq!(MediaKey::parse(&key).map(|k| k.tenant_id), Some(a));
    assert_eq!(store.get(&key).await.unwrap(), Some((PNG_BYTES.to_vec(), "image/png".to_owned())));

    // Every upload gets a new, unguessable name.
    let again = store.put(a, "avatars", PNG_BYTES.to_vec(), "png", "image/png").await.unwrap();
    assert_ne!(key, again);
    let image = store.put(a, "images", b"jpeg".to_vec(), "jpg", "image/jpeg").await.unwrap();
    assert!(image.starts_with(&format!("tenants/{a}/images/")) && image.ends_with(".jpg"), "{image}");
    assert_eq!(store.get(&image).await.unwrap().map(|(_, t)| t).as_deref(), Some("image/jpeg"));

    // Another region asks for it: not found, and it cannot remove it.
    assert_eq!(store.get_for(b, &key).await.unwrap(), None);
    assert!(matches!(store.delete_for(b, &key).await, Err(CoreError::NotFound)));
    assert!(store.get_for(a, &key).await.unwrap().is_some());

    // A well-formed key of nothing.
    let absent = format!("tenants/{a}/avatars/{}.png", Uuid::new_v4());
    assert_eq!(store.get(&absent).await.unwrap(), None);

    store.delete(&again).await.unwrap();
    assert_eq!(store.get(&again).await.unwrap(), None);
    store.delete(&again).await.unwrap();
    store.delete_for(a, &image).await.unwrap();
    assert_eq!(store.get(&image).await.unwrap(), None);
    key
}

/// A region's files listed (its own only), its archive kept apart from its media, and all of it
/// removed at once — the other region's untouched.
async fn lists_and_removes_a_regions_files(store: &MediaStore) {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let one = store.put(a, "images", PNG_BYTES.to_vec(), "png", "image/png").await.unwrap();
    let two = store.put(a, "avatars", PNG_BYTES.to_vec(), "png", "image/png").await.unwrap();
    let theirs = store.put(b, "images", PNG_BYTES.to_vec(), "png", "image/png").await.unwrap();
    let archive = Uuid::new_v4();
    store.put_export(a, archive, b"archive".to_vec()).await.unwrap();
    let mut listed: Vec<String> = store.list_for(a).await.unwrap().iter().map(ToString::to_string).collect();
    listed.sort();
    let mut expected = vec![one.clone(), two.clone()];
    expected.sort();
    assert_eq!(listed, expected, "its media, not its archive, not another region's");
    assert_eq!(store.get_export(a, archive).await.unwrap().as_deref(), Some(&b"archive"[..]));
    assert_eq!(store.get_export(b, archive).await.unwrap(), None, "another region's archive is not there");
    store.delete_all_for(a).await.unwrap();
    assert!(store.list_for(a).await.unwrap().is_empty());
    assert_eq!(store.get_export(a, archive).await.unwrap(), None);
    assert!(store.get(&theirs).await.unwrap().is_some());
    store.delete_all_for(b).await.unwrap();
}

/// Names typed by a person never reach a path or a bucket: not in `put`, not as a key.
async fn refuses_forged_names(store: &MediaStore, a: Uuid, b: Uuid, key: &str) {
    for (purpose, ext, ctype) in [
        ("../x", "png", "image/png"),
        ("avatars/../../x", "png", "image/png"),
        ("secrets", "png", "image/png"),
        ("avatars", "../../x", "image/png"),
        ("avatars", "svg", "image/svg+xml"),
        ("avatars", "html", "text/html"),
        ("avatars", "png", "text/html"),
    ] {
        let r = store.put(a, purpose, b"x".to_vec(), ext, ctype).await;
        assert!(matches!(r, Err(CoreError::Invalid(_))), "{purpose} {ext} {ctype}: {r:?}");
    }
    let id = MediaKey::parse(key).unwrap().id;
    for forged in [
        format!("tenants/{b}/../{a}/avatars/{id}.png"),
        format!("tenants/{a}/avatars/../../{b}/avatars/{id}.png"),
        format!("tenants/{a}/avatars/{id}.png/../../../../../etc/passwd"),
        "../../../../etc/passwd".to_owned(),
        format!("/{key}"),
        format!("{key}\0"),
    ] {
        assert!(matches!(store.get(&forged).await, Err(CoreError::Invalid(_))), "{forged}");
        assert!(matches!(store.delete(&forged).await, Err(CoreError::Invalid(_))), "{forged}");
        assert_eq!(store.get_for(a, &forged).await.unwrap(), None, "{forged}");
    }
    assert!(store.get(key).await.unwrap().is_some(), "nothing was removed");
}

#[tokio::test]
async fn the_local_store_keeps_each_file_under_its_regions_id() {
    let dir = TempDir::new("media");
    let store = MediaStore::local(&dir.0);
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let key = behaves_as_a_media_store(&store, a, b).await;
    refuses_forged_names(&store, a, b, &key).await;
    lists_and_removes_a_regions_files(&store).await;

    // On disk: exactly the one remaining file, at its key, and no temporary file left.
    let files = files_under(&dir.0);
    assert_eq!(files, vec![dir.0.join(&key)]);
    assert!(files[0].starts_with(dir.0.join("tenants").join(a.to_string())));
    assert_eq!(std::fs::read(&files[0]).unwrap(), PNG_BYTES);
}

#[tokio::test]
async fn the_local_store_is_the_default_and_s3_is_built_only_when_asked_for() {
    let cfg = Config::default().media;
    assert_eq!(cfg.store, "local");
    let store = MediaStore::from_config(&cfg, |_| panic!("S3 is not configured")).unwrap();
    assert!(matches!(store, MediaStore::Local { ref dir } if dir == Path::new(".data/media")));
}

/// An `s3s-fs` server on a free port, stopped when dropped.
struct S3Server {
    child: tokio::process::Child,
    endpoint: String,
    root: TempDir,
}

const ACCESS_KEY: &str = "echos-test-access";
const SECRET_KEY: &str = "echos-test-secret";

async fn s3_server(bucket: &str) -> S3Server {
    let root = TempDir::new("s3");
    // s3s-fs keeps a bucket as a directory of its root.
    std::fs::create_dir_all(root.0.join(bucket)).unwrap();
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new("s3s-fs")
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(&root.0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "the S3 tests need the `s3s-fs` binary on PATH; install it with \
             `cargo install s3s-fs@0.14.1 --locked --features binary` (.ci/run does)"
        ),
        Err(e) => panic!("starting s3s-fs: {e}"),
    };
    // Ready when it accepts connections.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await.is_ok() {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("s3s-fs exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "s3s-fs did not listen on port {port} within 15 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    S3Server { child, endpoint: format!("http://127.0.0.1:{port}"), root }
}

fn s3_config(endpoint: &str, bucket: &str, secret: &str) -> MediaConfig {
    let mut cfg = Config::default().media;
    cfg.store = "s3".into();
    cfg.s3_bucket = Some(bucket.into());
    cfg.s3_endpoint = Some(endpoint.into());
    cfg.s3_path_style = true;
    cfg.s3_access_key_id = Some(ACCESS_KEY.into());
    cfg.s3_secret_access_key = Some(secret.into());
    cfg
}

#[tokio::test]
async fn the_s3_store_keeps_each_object_under_its_regions_id_on_a_real_s3_server() {
    let mut server = s3_server("echos-media").await;
    let cfg = s3_config(&server.endpoint, "echos-media", SECRET_KEY);
    let store = MediaStore::from_config(&cfg, echos_s3::store_from_config).unwrap();
    assert!(matches!(store, MediaStore::S3(_)));
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let key = behaves_as_a_media_store(&store, a, b).await;
    refuses_forged_names(&store, a, b, &key).await;
    lists_and_removes_a_regions_files(&store).await;

    // The server holds the object at its key, inside the bucket.
    let on_disk = server.root.0.join("echos-media").join(&key);
    assert_eq!(std::fs::read(&on_disk).unwrap(), PNG_BYTES);

    // Requests are signed: a wrong secret is refused by the server.
    let wrong =
        MediaStore::from_config(&s3_config(&server.endpoint, "echos-media", "wrong"), echos_s3::store_from_config)
            .unwrap();
    assert!(matches!(wrong.get(&key).await, Err(CoreError::Unexpected(_))));
    assert!(wrong.put(a, "avatars", b"x".to_vec(), "png", "image/png").await.is_err());

    server.child.kill().await.unwrap();
}

#[test]
fn an_s3_store_needs_a_bucket_and_both_keys_or_neither() {
    let mut cfg = s3_config("http://127.0.0.1:1", "b", SECRET_KEY);
    cfg.s3_secret_access_key = None;
    assert!(matches!(echos_s3::store_from_config(&cfg), Err(CoreError::Invalid(_))), "one key without the other");
    cfg.s3_access_key_id = None;
    assert!(echos_s3::store_from_config(&cfg).is_ok(), "neither: AWS's default chain, asked at the first request");
    cfg.s3_bucket = None;
    assert!(matches!(echos_s3::store_from_config(&cfg), Err(CoreError::Invalid(_))));
}

/// With no keys in the settings, the store asks AWS's default credential chain — in a cluster,
/// IRSA's web identity or the instance's role; here its profile file. The chain reads the
/// process's environment, so each check runs in a child process with an environment of its own.
#[tokio::test]
async fn without_keys_the_s3_store_asks_the_default_credential_chain() {
    let mut server = s3_server("echos-chain").await;
    let dir = TempDir::new("aws");
    let run = |secret: &str, expect: &str| {
        let credentials = dir.0.join(format!("credentials-{expect}"));
        std::fs::write(
            &credentials,
            format!("[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {secret}\n"),
        )
        .unwrap();
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["media::default_chain_child", "--exact", "--ignored", "--nocapture"])
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", dir.0.join("no-config"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("ECHOS_TEST_S3_ENDPOINT", &server.endpoint)
            .env("ECHOS_TEST_S3_EXPECT", expect)
            .output()
            .unwrap()
    };
    for (secret, expect) in [(SECRET_KEY, "stored"), ("not-the-secret", "refused")] {
        let out = run(secret, expect);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{expect}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    server.child.kill().await.unwrap();
}

#[tokio::test]
#[ignore = "run by without_keys_the_s3_store_asks_the_default_credential_chain, in a process of its own"]
async fn default_chain_child() {
    // Only its parent test gives it a server (and checks that it passed).
    let Ok(endpoint) = std::env::var("ECHOS_TEST_S3_ENDPOINT") else { return };
    let mut cfg = s3_config(&endpoint, "echos-chain", SECRET_KEY);
    cfg.s3_access_key_id = None;
    cfg.s3_secret_access_key = None;
    let store = MediaStore::from_config(&cfg, echos_s3::store_from_config).unwrap();
    let put = store.put(Uuid::new_v4(), "avatars", PNG_BYTES.to_vec(), "png", "image/png").await;
    match std::env::var("ECHOS_TEST_S3_EXPECT").unwrap().as_str() {
        "stored" => assert!(put.is_ok(), "the profile's keys sign the request: {put:?}"),
        _ => assert!(put.is_err(), "a wrong secret from the chain is refused by the server"),
    }
}
