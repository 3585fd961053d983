//! Multithreaded relay (zguide chapter 2, "Signaling Between Threads"):
//! three threads in a chain, each telling the next it is ready over an
//! inproc PAIR, the way threads of one process should signal each other.
//!
//! `cargo run --example mtrelay` ends once the signal has gone through.

fn step1() -> oxmq::Result<()> {
    // Connect to step 2 and tell it we're ready.
    let xmitter = oxmq::Pair::new();
    xmitter.connect("inproc://step2")?;
    println!("Step 1 ready, signaling step 2");
    xmitter.blocking_send("READY")?;
    Ok(())
}

fn step2() -> oxmq::Result<()> {
    // Bind before starting step 1, so that its connect finds us.
    let receiver = oxmq::Pair::new();
    receiver.bind("inproc://step2")?;
    let step1 = std::thread::spawn(step1);
    // Wait for the signal, then pass it on.
    receiver.blocking_recv()?;
    step1.join().expect("step 1 panicked")?;
    let xmitter = oxmq::Pair::new();
    xmitter.connect("inproc://step3")?;
    println!("Step 2 ready, signaling step 3");
    xmitter.blocking_send("READY")?;
    Ok(())
}

fn main() -> oxmq::Result<()> {
    let receiver = oxmq::Pair::new();
    receiver.bind("inproc://step3")?;
    let step2 = std::thread::spawn(step2);
    let signal = receiver.blocking_recv()?;
    step2.join().expect("step 2 panicked")?;
    assert_eq!(signal[0], "READY");
    println!("Test successful!");
    Ok(())
}
