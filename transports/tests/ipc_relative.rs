//! ipc with a relative path (SPEC §4.3). Kept in its own test binary because
//! it changes the process's current directory.

use std::path::PathBuf;

use oxmq_transports::{connect, Endpoint, IpcEndpoint, Listener};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn relative_path_is_relative_to_the_current_directory() {
    let dir = std::env::temp_dir().join(format!("oxmq-t-rel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::env::set_current_dir(&dir).unwrap();

    let endpoint: Endpoint = "ipc://rel.sock".parse().unwrap();
    assert_eq!(
        endpoint,
        Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from("rel.sock")))
    );
    let listener = Listener::bind(&endpoint).unwrap();
    assert_eq!(listener.local_endpoint().to_string(), "ipc://rel.sock");
    assert!(dir.join("rel.sock").exists());

    let (client, accepted) = tokio::join!(connect(&endpoint), listener.accept());
    let mut client = client.unwrap();
    let (mut server, _) = accepted.unwrap();
    client.write_all(b"rel").await.unwrap();
    let mut buf = [0u8; 3];
    server.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"rel");

    // Drop removes the file even after the current directory changes.
    std::env::set_current_dir(std::env::temp_dir()).unwrap();
    drop(listener);
    assert!(!dir.join("rel.sock").exists());
    std::fs::remove_dir(&dir).unwrap();
}
