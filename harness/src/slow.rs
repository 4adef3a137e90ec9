//! Per-case time bounds (issue 15): a case the implementation answers far more slowly than the reference
//! answers the same request is a performance finding, so super-linear parsing (a scanner that backtracks, a
//! duplicate-key check that compares every pair) is caught by `run`, not only by a fuzz timeout.
//!
//! A case is **slow** when, after the transport's own cost is taken off, the implementation took both more
//! than [`FLOOR`] and more than [`RATIO`] times what the reference took for the same request. Three guards
//! keep a loaded CI machine from raising a false alarm on a correct implementation:
//! * the floor: nothing under 50 ms is ever slow, however fast the reference;
//! * a worker's first answer is never judged (neither the transport's cost nor the machine's pace is known);
//! * the transport's cost is measured, not assumed: the fastest round trip the worker has seen so far (a
//!   stdio or HTTP exchange with nothing to compute) is taken off, and the reference is timed on the whole
//!   request message (parsing the JSON line, decoding the payload's hex), which scales with the message's size
//!   as every implementation's work does;
//! * a case over the floor is asked again, after a pause, up to [`RETRIES`] times on the same connection and
//!   the fastest answer counts: a scheduling stall or a burst of load does not repeat, super-linear work does;
//! * it must also be [`TYPICAL_RATIO`] times the worker's running average answer: a machine so loaded that
//!   every answer is slow raises the bound with it.
//!
//! The reference is timed in-process, only for the cases that are over the floor (cheap: a conformant run
//! has next to none), as the best of three runs.

use ivconform_protocol::Request;
use std::time::{Duration, Instant};

/// Nothing faster than this (after the transport's cost) is ever reported as slow.
pub const FLOOR: Duration = Duration::from_millis(50);

/// How many times the reference's time a case must take to be slow.
pub const RATIO: f64 = 100.0;

/// How many times the worker's running average of answers a case must take to be slow (on a loaded machine
/// every answer is slower; a super-linear one is slower by far more).
pub const TYPICAL_RATIO: u32 = 20;

/// A case over the floor is asked again at most this many times; the fastest answer counts.
pub const RETRIES: usize = 2;

/// The longest pause before asking again (the pause is the first answer's time, at most this).
pub const PAUSE: Duration = Duration::from_millis(250);

/// The reference's time for `request`: the best of three in-process runs of the whole message.
pub fn reference_time(request: &Request) -> Duration {
    let Ok(line) = serde_json::to_vec(request) else { return Duration::MAX };
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let answer = ivconform_protocol::reference::handle_bytes(&line);
            let took = started.elapsed();
            std::hint::black_box(answer);
            took
        })
        .min()
        .unwrap_or(Duration::MAX)
}

/// Whether `took` (the implementation's round trip) is over the floor once `overhead` (the fastest round
/// trip seen) is taken off: only then is the reference timed and a second answer worth asking for.
pub fn over_floor(took: Duration, overhead: Duration) -> bool {
    took.saturating_sub(overhead) > FLOOR
}

/// The finding for a case the implementation answered in `took` (the fastest of its answers) over a transport
/// costing `overhead`, on a worker whose answers take `typical` on average, when it is over every bound;
/// `None` when it is not.
pub fn judge(took: Duration, overhead: Duration, typical: Duration, reference: Duration) -> Option<String> {
    let work = took.saturating_sub(overhead);
    if work <= FLOOR || work.as_secs_f64() <= RATIO * reference.as_secs_f64() || work <= typical * TYPICAL_RATIO {
        return None;
    }
    let ms = |d: Duration| {
        let ms = d.as_secs_f64() * 1000.0;
        if ms >= 10.0 {
            format!("{ms:.0} ms")
        } else {
            format!("{ms:.2} ms")
        }
    };
    let ratio = work.as_secs_f64() / reference.as_secs_f64().max(1e-9);
    Some(format!(
        "over the per-case time bound: took {} (the fastest of its answers; {} after the transport's {}), the \
         reference {} for the same request ({ratio:.0}x; the bound is {RATIO:.0}x and {}): super-linear parsing?",
        ms(took),
        ms(work),
        ms(overhead),
        ms(reference),
        ms(FLOOR)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_bounds_must_be_crossed() {
        let ms = Duration::from_millis;
        // Over the floor and 100x: slow.
        let found = judge(ms(420), ms(1), ms(2), Duration::from_micros(20)).expect("slow");
        assert!(found.contains("took 420 ms") && found.contains("super-linear"), "{found}");
        // Under the floor once the transport's cost is off: not slow, however fast the reference.
        assert_eq!(judge(ms(60), ms(15), ms(1), Duration::from_micros(1)), None);
        // Over the floor but under 100x the reference: not slow.
        assert_eq!(judge(ms(400), ms(0), ms(1), ms(5)), None);
        // A machine so loaded that every answer takes 10 ms: 150 ms is not slow, 420 ms is.
        assert_eq!(judge(ms(150), ms(0), ms(10), Duration::from_micros(20)), None);
        assert!(judge(ms(420), ms(0), ms(10), Duration::from_micros(20)).is_some());
        assert!(over_floor(ms(70), ms(10)) && !over_floor(ms(55), ms(10)));
    }

    #[test]
    fn the_reference_is_timed_on_the_whole_message() {
        let request = Request::Hmac { seq: 1, key_hex: "00".into(), msg_hex: "61".repeat(1 << 16) };
        let big = reference_time(&request);
        assert!(big > Duration::ZERO && big < Duration::from_secs(5), "{big:?}");
    }
}
