//! The inproc name registry (SPEC §4.4).

use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use oxmq_transports::{Acceptor, Delivery, InprocRegistry};

/// An acceptor that records what it receives.
fn recorder() -> (Acceptor<u32>, Arc<Mutex<Vec<u32>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let acceptor: Acceptor<u32> = Arc::new(move |c| sink.lock().unwrap().push(c));
    (acceptor, seen)
}

fn pending_names<C: Send + 'static>(registry: &InprocRegistry<C>) -> String {
    format!("{registry:?}")
}

#[test]
fn bind_then_connect() {
    let registry = InprocRegistry::new();
    let (acceptor, seen) = recorder();
    registry.bind("a", acceptor).unwrap();
    assert!(registry.is_bound("a"));
    assert!(!registry.is_bound("b"));
    assert_eq!(registry.connect("a", 1), Delivery::Delivered);
    assert_eq!(registry.connect("a", 2), Delivery::Delivered);
    assert_eq!(*seen.lock().unwrap(), [1, 2]);
}

#[test]
fn connect_before_bind_is_delivered_in_order_on_bind() {
    let registry = InprocRegistry::default();
    let ids: Vec<_> = (1..=3)
        .map(|c| match registry.connect("late", c) {
            Delivery::Pending(id) => id,
            Delivery::Delivered => panic!("nothing is bound"),
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert_ne!(ids[0], ids[1]);
    assert!(!registry.is_bound("late"));
    let (acceptor, seen) = recorder();
    registry.bind("late", acceptor).unwrap();
    assert_eq!(*seen.lock().unwrap(), [1, 2, 3]);
    // Delivered offers can no longer be cancelled.
    assert_eq!(registry.cancel("late", ids[0]), None);
    assert_eq!(registry.connect("late", 4), Delivery::Delivered);
    assert_eq!(*seen.lock().unwrap(), [1, 2, 3, 4]);
}

#[test]
fn double_bind_is_addr_in_use() {
    let registry = InprocRegistry::new();
    let (first, seen) = recorder();
    let (second, seen_second) = recorder();
    registry.bind("x", first).unwrap();
    let err = registry.bind("x", second).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    assert!(err.to_string().contains("inproc://x"), "{err}");
    registry.connect("x", 7);
    assert_eq!(*seen.lock().unwrap(), [7]);
    assert!(seen_second.lock().unwrap().is_empty());
}

#[test]
fn unbind_with_a_stale_id_does_nothing() {
    let registry = InprocRegistry::new();
    let (a, _) = recorder();
    let (b, seen_b) = recorder();
    let first = registry.bind("n", a).unwrap();
    assert!(registry.unbind("n", first));
    assert!(!registry.is_bound("n"));
    assert!(!registry.unbind("n", first));
    let second = registry.bind("n", b).unwrap();
    assert_ne!(first, second);
    assert!(!registry.unbind("n", first), "stale id must not unbind");
    assert!(registry.is_bound("n"));
    registry.connect("n", 5);
    assert_eq!(*seen_b.lock().unwrap(), [5]);
    assert!(registry.unbind("n", second));
    assert!(!registry.is_bound("n"));
    // After unbind, connects wait for the next bind again.
    assert!(matches!(registry.connect("n", 6), Delivery::Pending(_)));
}

#[test]
fn unbind_of_a_name_that_only_has_pending_offers_does_nothing() {
    let registry = InprocRegistry::new();
    let (a, _) = recorder();
    let id = registry.bind("other", a).unwrap();
    registry.connect("p", 1);
    assert!(!registry.unbind("p", id));
    assert!(pending_names(&registry).contains("pending_names: 1"));
}

#[test]
fn cancel_withdraws_a_pending_offer() {
    let registry = InprocRegistry::new();
    let Delivery::Pending(a) = registry.connect("c", 1) else {
        panic!()
    };
    let Delivery::Pending(b) = registry.connect("c", 2) else {
        panic!()
    };
    assert_eq!(registry.cancel("c", a), Some(1));
    assert_eq!(registry.cancel("c", a), None);
    assert_eq!(registry.cancel("elsewhere", b), None);
    let (acceptor, seen) = recorder();
    registry.bind("c", acceptor).unwrap();
    assert_eq!(*seen.lock().unwrap(), [2]);
    assert_eq!(registry.cancel("c", b), None);
}

#[test]
fn cancelled_names_leave_no_entry_behind() {
    let registry = InprocRegistry::new();
    let ids: Vec<_> = (0..3)
        .map(|i| match registry.connect("gone", i) {
            Delivery::Pending(id) => id,
            Delivery::Delivered => panic!(),
        })
        .collect();
    assert!(pending_names(&registry).contains("pending_names: 1"));
    for id in ids {
        assert!(registry.cancel("gone", id).is_some());
    }
    assert_eq!(
        pending_names(&registry),
        "InprocRegistry { bound: 0, pending_names: 0 }"
    );
}

#[test]
fn reentrant_acceptor_does_not_deadlock() {
    let registry: Arc<InprocRegistry<u32>> = Arc::new(InprocRegistry::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let weak: Weak<InprocRegistry<u32>> = Arc::downgrade(&registry);
    let sink = Arc::clone(&seen);
    let acceptor: Acceptor<u32> = Arc::new(move |c| {
        let registry = weak.upgrade().unwrap();
        sink.lock().unwrap().push(c);
        assert!(registry.is_bound("re"));
        if c == 1 {
            // Connecting to the very name being delivered to queues the
            // connection behind the current delivery.
            assert_eq!(registry.connect("re", 100), Delivery::Delivered);
            // Other names work as usual.
            assert!(matches!(registry.connect("side", 0), Delivery::Pending(_)));
            let (other, _) = recorder();
            let id = registry.bind("side2", other).unwrap();
            assert!(registry.unbind("side2", id));
        }
    });
    registry.connect("re", 1);
    registry.bind("re", acceptor).unwrap();
    assert_eq!(*seen.lock().unwrap(), [1, 100]);
    registry.connect("re", 2);
    assert_eq!(*seen.lock().unwrap(), [1, 100, 2]);
}

#[test]
fn acceptor_that_unbinds_itself() {
    let registry: Arc<InprocRegistry<u32>> = Arc::new(InprocRegistry::new());
    let weak = Arc::downgrade(&registry);
    let id_cell = Arc::new(Mutex::new(None));
    let id_for_acceptor = Arc::clone(&id_cell);
    let count = Arc::new(AtomicUsize::new(0));
    let count_in = Arc::clone(&count);
    let acceptor: Acceptor<u32> = Arc::new(move |_| {
        count_in.fetch_add(1, Ordering::SeqCst);
        let id = id_for_acceptor.lock().unwrap().unwrap();
        assert!(weak.upgrade().unwrap().unbind("self", id));
    });
    let id = registry.bind("self", acceptor).unwrap();
    *id_cell.lock().unwrap() = Some(id);
    assert_eq!(registry.connect("self", 1), Delivery::Delivered);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(!registry.is_bound("self"));
    assert!(matches!(registry.connect("self", 2), Delivery::Pending(_)));
}

#[test]
fn a_panicking_acceptor_does_not_wedge_the_binding() {
    let registry = InprocRegistry::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let acceptor: Acceptor<u32> = Arc::new(move |c| {
        if c == 0 {
            panic!("acceptor failure (expected by the test)");
        }
        sink.lock().unwrap().push(c);
    });
    registry.bind("p", acceptor).unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        registry.connect("p", 0);
    }));
    assert!(outcome.is_err());
    assert_eq!(registry.connect("p", 1), Delivery::Delivered);
    assert_eq!(*seen.lock().unwrap(), [1]);
}

#[test]
fn concurrent_connects_are_each_delivered_once_without_overlap() {
    const THREADS: u32 = 8;
    const PER_THREAD: u32 = 200;
    let registry: Arc<InprocRegistry<u32>> = Arc::new(InprocRegistry::new());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let busy = Arc::new(AtomicBool::new(false));
    let (sink, busy_in) = (Arc::clone(&seen), Arc::clone(&busy));
    let acceptor: Acceptor<u32> = Arc::new(move |c| {
        assert!(
            !busy_in.swap(true, Ordering::SeqCst),
            "overlapping acceptor calls"
        );
        sink.lock().unwrap().push(c);
        busy_in.store(false, Ordering::SeqCst);
    });
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let registry = Arc::clone(&registry);
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    registry.connect("busy", t * PER_THREAD + i);
                }
            })
        })
        .collect();
    registry.bind("busy", acceptor).unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let mut all = seen.lock().unwrap().clone();
    // Each thread's own connections arrive in the order it made them.
    for t in 0..THREADS {
        let mine: Vec<_> = all
            .iter()
            .copied()
            .filter(|c| c / PER_THREAD == t)
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]), "thread {t} reordered");
    }
    all.sort_unstable();
    assert_eq!(all, (0..THREADS * PER_THREAD).collect::<Vec<_>>());
}

#[test]
fn registry_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<InprocRegistry<std::sync::mpsc::Sender<u8>>>();
}
