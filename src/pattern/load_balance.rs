//! Round-robin load balancing over peers (SPEC §5.2, RFC 30's
//! "round-robin" for PUSH and RFC 41's for CLIENT).

/// A list of outlets tried in round-robin order. Each message is offered to
/// the outlet after the one that took the previous message; an outlet that
/// refuses (full or closing) is skipped for that message.
#[derive(Debug)]
pub struct LoadBalance<T> {
    items: Vec<T>,
    next: usize,
}

impl<T> Default for LoadBalance<T> {
    fn default() -> Self {
        LoadBalance {
            items: Vec::new(),
            next: 0,
        }
    }
}

impl<T> LoadBalance<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an outlet at the end of the rotation.
    pub fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// Removes the first outlet matching `pred`, keeping the rotation
    /// position of the others.
    pub fn remove_where(&mut self, pred: impl Fn(&T) -> bool) -> Option<T> {
        let i = self.items.iter().position(pred)?;
        if i < self.next {
            self.next -= 1;
        }
        let item = self.items.remove(i);
        if self.next >= self.items.len() {
            self.next = 0;
        }
        Some(item)
    }

    /// Offers `value` to each outlet once, in rotation order. `attempt`
    /// gives the value back when the outlet refuses it, and what it says
    /// of the outlet when it takes it. Returns the value back if every
    /// outlet refused (or there are none).
    pub fn offer<V, R>(
        &mut self,
        value: V,
        mut attempt: impl FnMut(&T, V) -> Result<R, V>,
    ) -> Result<R, V> {
        let n = self.items.len();
        let mut value = value;
        for k in 0..n {
            let i = (self.next + k) % n;
            match attempt(&self.items[i], value) {
                Ok(r) => {
                    self.next = (i + 1) % n;
                    return Ok(r);
                }
                Err(v) => value = v,
            }
        }
        Err(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_and_skips_refusing_outlets() {
        let mut lb = LoadBalance::new();
        for i in 0..3 {
            lb.push(i);
        }
        let mut got = Vec::new();
        for v in 0..6 {
            lb.offer(v, |&o, _v: i32| {
                got.push(o);
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(got, vec![0, 1, 2, 0, 1, 2]);
        // Outlet 1 refuses: messages go to 0 and 2 only.
        let mut taken = Vec::new();
        for v in 0..4 {
            lb.offer(v, |&o, v| {
                if o == 1 {
                    Err(v)
                } else {
                    taken.push(o);
                    Ok(())
                }
            })
            .unwrap();
        }
        assert_eq!(taken, vec![0, 2, 0, 2]);
        assert_eq!(lb.offer(9, |_, v| Err::<(), _>(v)), Err(9));
    }

    #[test]
    fn removal_keeps_rotation() {
        let mut lb = LoadBalance::new();
        for i in 0..4 {
            lb.push(i);
        }
        let mut seen = Vec::new();
        lb.offer((), |&o, _| {
            seen.push(o);
            Ok(())
        })
        .unwrap(); // took 0, next is 1
        lb.remove_where(|&o| o == 0);
        lb.offer((), |&o, _| {
            seen.push(o);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![0, 1]);
        lb.remove_where(|&o| o == 3);
        lb.remove_where(|&o| o == 2);
        lb.offer((), |&o, _| {
            seen.push(o);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![0, 1, 1]);
        let mut empty: LoadBalance<i32> = LoadBalance::new();
        assert_eq!(empty.offer(1, |_, v| Err::<(), _>(v)), Err(1));
    }
}
