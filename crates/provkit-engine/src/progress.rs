//! A generation counter any number of tasks can wait on: the run loop advances it after each
//! round, and a transport holding a request (a blocking scan) waits for the next round to
//! look at the manager again. (`embassy_sync::signal::Signal` wakes one waiter only.)

use core::cell::RefCell;
use core::future::poll_fn;
use core::task::Poll;

use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use embassy_sync::waitqueue::MultiWakerRegistration;

/// Waiters kept at once; a further one wakes them all before registering (no waiter is lost).
const MAX_WAITERS: usize = 4;

pub(crate) struct Progress<M: RawMutex> {
    inner: Mutex<M, RefCell<Inner>>,
}

struct Inner {
    generation: u64,
    waiters: MultiWakerRegistration<MAX_WAITERS>,
}

impl<M: RawMutex> Progress<M> {
    pub(crate) const fn new() -> Self {
        Self {
            inner: Mutex::new(RefCell::new(Inner {
                generation: 0,
                waiters: MultiWakerRegistration::new(),
            })),
        }
    }

    /// The current generation.
    pub(crate) fn current(&self) -> u64 {
        self.inner.lock(|inner| inner.borrow().generation)
    }

    /// Starts a new generation and wakes every waiter.
    pub(crate) fn advance(&self) {
        self.inner.lock(|inner| {
            let mut inner = inner.borrow_mut();
            inner.generation = inner.generation.wrapping_add(1);
            inner.waiters.wake();
        });
    }

    /// Completes once the generation is no longer `seen`.
    pub(crate) async fn changed_since(&self, seen: u64) {
        poll_fn(|cx| {
            self.inner.lock(|inner| {
                let mut inner = inner.borrow_mut();
                if inner.generation != seen {
                    Poll::Ready(())
                } else {
                    inner.waiters.register(cx.waker());
                    Poll::Pending
                }
            })
        })
        .await;
    }
}
