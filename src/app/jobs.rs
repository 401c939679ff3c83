//! Running panel jobs on worker threads: progress and results come back as
//! messages, and a shared flag cancels a job the reader no longer wants.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;

use crate::compute::Progress;
use crate::panels::{JobRequest, JobResult};

pub enum JobEvent {
    Progress { id: u64, progress: Progress },
    Done { id: u64, result: JobResult },
}

/// Handle the app keeps for the job it is waiting on.
#[derive(Debug, Clone)]
pub struct JobHandle {
    pub id: u64,
    cancel: Arc<AtomicBool>,
}

impl JobHandle {
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

pub fn spawn(id: u64, request: JobRequest, events: Sender<JobEvent>) -> JobHandle {
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    std::thread::spawn(move || {
        let progress_events = events.clone();
        let mut report = |progress: Progress| {
            if flag.load(Ordering::Relaxed) {
                return ControlFlow::Break(());
            }
            // The app may have quit; a job with nobody to tell just stops.
            match progress_events.send(JobEvent::Progress { id, progress }) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            }
        };
        let result = (request.work)(&mut report);
        let _ = events.send(JobEvent::Done { id, result });
    });
    JobHandle { id, cancel }
}
