#[test]
fn stub() {
    let _ = oxmq_interop::version();
}
