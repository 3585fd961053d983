//! Two (or three) threads on one pipe, every interleaving loom can reach:
//! no item is lost, none is seen twice, order is kept, and nobody sleeps
//! while the other side has something for it (loom reports a thread that
//! waits for ever as a deadlock). Most rings hold one item, so those
//! models also go through the writer side's overflow queue; the first two
//! hold all their items, so nothing but the protocol's fences orders the
//! two sides (removing either fence makes them fail).

use crate::protocol::{Flow, Popped, Pushed};
use crate::{Item, ModelRing};
use loom::sync::{Arc, Notify};
use loom::thread;

/// A pipe of model items.
type ModelFlow = Flow<Item, ModelRing>;

/// A writer that pushes `items`, waking the reader when it is owed a
/// wake-up, and waiting for `room` when the pipe is full.
fn write(flow: &ModelFlow, reader: &Notify, room: &Notify, items: impl Iterator<Item = u32>) {
    for i in items {
        let mut item = Item(i);
        loop {
            match flow.push(item, false) {
                Pushed::Taken { wake_reader } => {
                    if wake_reader {
                        reader.notify();
                    }
                    break;
                }
                Pushed::Full(back) => {
                    item = back;
                    room.wait();
                }
                Pushed::Closed(_) => panic!("the reader never leaves in these models"),
            }
        }
    }
}

/// A reader that takes `batch` items at a time until it has `want` (or
/// the writer left), and sleeps through the protocol when it finds
/// nothing: `Flow::sleep`, then waits for the writer's wake-up.
fn read(flow: &ModelFlow, reader: &Notify, room: &Notify, want: usize, batch: usize) -> Vec<u32> {
    let mut got = Vec::new();
    loop {
        let p: Popped = flow.pop(batch, |Item(i)| got.push(i));
        if p.wake_writer {
            room.notify();
        }
        if got.len() == want || p.done {
            return got;
        }
        if p.more {
            continue;
        }
        if !flow.sleep() {
            reader.wait();
        }
    }
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    // Bounded preemption keeps the three-thread models tractable; the
    // two-thread models are small enough to explore almost completely.
    b.preemption_bound = Some(3);
    b.check(f);
}

#[test]
fn a_sleeping_reader_is_woken_for_every_push() {
    model(|| {
        let flow = Arc::new(ModelFlow::with_ring(0, 2));
        let (reader, room) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        assert!(!flow.sleep(), "the reader starts asleep");
        let w = {
            let (flow, reader, room) = (flow.clone(), reader.clone(), room.clone());
            thread::spawn(move || write(&flow, &reader, &room, 0..2))
        };
        let got = read(&flow, &reader, &room, 2, 1);
        w.join().unwrap();
        assert_eq!(got, vec![0, 1]);
    });
}

#[test]
fn a_full_pipe_wakes_its_writer_at_the_low_water_mark() {
    model(|| {
        let flow = Arc::new(ModelFlow::with_ring(2, 2));
        let (reader, room) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        assert!(!flow.sleep());
        let w = {
            let (flow, reader, room) = (flow.clone(), reader.clone(), room.clone());
            thread::spawn(move || write(&flow, &reader, &room, 0..3))
        };
        let got = read(&flow, &reader, &room, 3, 1);
        w.join().unwrap();
        assert_eq!(got, vec![0, 1, 2]);
        assert_eq!(flow.len(), 0);
    });
}

#[test]
fn the_writer_leaving_wakes_the_reader_after_its_items() {
    model(|| {
        let flow = Arc::new(ModelFlow::with_ring(0, 1));
        let (reader, room) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        assert!(!flow.sleep());
        let w = {
            let (flow, reader, room) = (flow.clone(), reader.clone(), room.clone());
            thread::spawn(move || {
                write(&flow, &reader, &room, 0..1);
                if flow.close_writer() {
                    reader.notify();
                }
            })
        };
        // Wants more than will come: ends only by seeing `done`.
        let got = read(&flow, &reader, &room, usize::MAX, 4);
        w.join().unwrap();
        assert_eq!(got, vec![0]);
        assert!(flow.is_done());
    });
}

#[test]
fn two_writers_never_pass_the_mark_together_and_lose_nothing() {
    model(|| {
        let flow = Arc::new(ModelFlow::with_ring(1, 1));
        let reader = Arc::new(Notify::new());
        assert!(!flow.sleep());
        let writers: Vec<_> = [0u32, 10]
            .into_iter()
            .map(|base| {
                let (flow, reader) = (flow.clone(), reader.clone());
                thread::spawn(move || {
                    let item = Item(base);
                    match flow.push(item, false) {
                        Pushed::Taken { wake_reader } => {
                            if wake_reader {
                                reader.notify();
                            }
                            true
                        }
                        Pushed::Full(_) => false,
                        Pushed::Closed(_) => unreachable!(),
                    }
                })
            })
            .collect();
        let taken: Vec<bool> = writers.into_iter().map(|w| w.join().unwrap()).collect();
        let accepted = taken.iter().filter(|t| **t).count();
        assert_eq!(
            accepted, 1,
            "a mark of one takes exactly one of two racing pushes"
        );
        assert_eq!(flow.len(), 1);
        let mut got = Vec::new();
        flow.pop(usize::MAX, |Item(i)| got.push(i));
        assert_eq!(got.len(), 1);
    });
}

#[test]
fn two_writers_and_a_reader_deliver_everything_once() {
    model(|| {
        let flow = Arc::new(ModelFlow::with_ring(0, 1));
        let (reader, room) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        assert!(!flow.sleep());
        let writers: Vec<_> = [0u32, 10]
            .into_iter()
            .map(|base| {
                let (flow, reader, room) = (flow.clone(), reader.clone(), room.clone());
                thread::spawn(move || write(&flow, &reader, &room, base..base + 1))
            })
            .collect();
        let mut got = read(&flow, &reader, &room, 2, 1);
        for w in writers {
            w.join().unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, vec![0, 10]);
    });
}

#[test]
fn items_put_back_come_before_new_ones() {
    model(|| {
        let flow = Arc::new(ModelFlow::with_ring(0, 1));
        let (reader, room) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        flow.push(Item(0), false);
        flow.push(Item(1), false);
        let mut taken = std::collections::VecDeque::new();
        flow.pop(2, |i| taken.push_back(i));
        assert!(!flow.sleep());
        let w = {
            let (flow, reader, room) = (flow.clone(), reader.clone(), room.clone());
            thread::spawn(move || write(&flow, &reader, &room, 2..3))
        };
        // The old reader's connection died: it hands back what it took.
        flow.unpop(&mut taken);
        // A new reader arrives (the library's `set_reader`).
        let _ = flow.sleep();
        let got = read(&flow, &reader, &room, 3, 1);
        w.join().unwrap();
        assert_eq!(got, vec![0, 1, 2]);
    });
}
