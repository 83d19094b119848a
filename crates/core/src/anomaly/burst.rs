//! Sliding windows per key with deduplication: a key fires once when `need` events fall
//! within the window, then stays quiet until a whole window passes in which it would not
//! have fired again. One burst is one anomaly.

use std::collections::{HashMap, VecDeque};

use super::{MAX_KEYS, MAX_TRIGGERS};
use crate::duration::Duration;
use crate::time::Time;

struct Burst {
    /// The latest events (time, id), at most `need`, all within the window of the newest.
    recent: VecDeque<(Time, String)>,
    /// The last time the key met the threshold (fired or would have).
    last_hit: Option<Time>,
}

impl Burst {
    fn newest(&self) -> Option<Time> {
        self.recent.back().map(|(t, _)| *t).max(self.last_hit)
    }
}

pub(super) struct Bursts {
    need: usize,
    window: chrono::Duration,
    keys: HashMap<String, Burst>,
}

impl Bursts {
    /// Fires when `need` (at least 1) events of one key fall within `window`.
    pub fn new(need: usize, window: Duration) -> Bursts {
        Bursts {
            need: need.max(1),
            window: window.to_chrono(),
            keys: HashMap::new(),
        }
    }

    /// Records event `id` at `at` for `key`. Returns the events of the burst (oldest first)
    /// when this one completes a burst that is not a continuation of the last one.
    pub fn hit(&mut self, key: &str, at: Time, id: &str) -> Option<Vec<String>> {
        if !self.keys.contains_key(key) && self.keys.len() >= MAX_KEYS {
            self.prune(at);
            if self.keys.len() >= MAX_KEYS {
                self.evict();
            }
        }
        let window = self.window;
        let need = self.need;
        let b = self.keys.entry(key.to_string()).or_insert_with(|| Burst {
            recent: VecDeque::new(),
            last_hit: None,
        });
        b.recent.push_back((at, id.to_string()));
        while b
            .recent
            .front()
            .is_some_and(|(t, _)| at - *t >= window || b.recent.len() > need)
        {
            b.recent.pop_front();
        }
        if b.recent.len() < need {
            return None;
        }
        let quiet = b.last_hit.is_none_or(|last| at - last >= window);
        b.last_hit = Some(at);
        if !quiet {
            return None;
        }
        let skip = b.recent.len().saturating_sub(MAX_TRIGGERS);
        Some(
            b.recent
                .iter()
                .skip(skip)
                .map(|(_, id)| id.clone())
                .collect(),
        )
    }

    /// Forgets keys with nothing inside the window ending at `now`.
    pub fn prune(&mut self, now: Time) {
        let window = self.window;
        self.keys
            .retain(|_, b| b.newest().is_some_and(|t| now - t < window));
    }

    /// Keys held now (for tests of the memory bound).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Drops the tenth of the keys seen least recently.
    fn evict(&mut self) {
        let mut ages: Vec<(Option<Time>, String)> = self
            .keys
            .iter()
            .map(|(k, b)| (b.newest(), k.clone()))
            .collect();
        ages.sort();
        for (_, k) in ages.into_iter().take(MAX_KEYS / 10) {
            self.keys.remove(&k);
        }
    }
}
