//! Run status JSON (`formats.md` §12).

use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::output::write_atomically;

/// A run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// The run exists and waits for data.
    Created,
    /// All data is ready; the run is scheduled.
    Queued,
    /// The run is computing.
    Running,
    /// The run finished.
    Completed,
    /// The run failed.
    Error,
}

/// What a run produces, which decides its number of stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunType {
    /// `groups` or `permutations`: 3 stages (CLKs, similarity scores, output).
    Default,
    /// `similarity_scores`: 2 stages (CLKs, similarity scores).
    NoMapping,
}

/// Progress within a stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    /// Work done.
    pub absolute: u64,
    /// `absolute / total` (0 when the total is 0), clamped to 1.0.
    pub relative: f64,
    /// What `absolute` counts.
    pub description: String,
}

/// The current stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stage {
    /// 1, 2 or 3.
    pub number: u32,
    /// `waiting for CLKs`, `compute similarity scores` or `compute output`.
    pub description: String,
    /// Progress; none in stage 3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
}

/// The run status object. Fields serialize in the service's order; `time_completed`,
/// `total_number_comparisons` and `message` appear only once set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStatus {
    /// The run's state.
    pub state: RunState,
    /// When the run was created (ISO 8601).
    pub time_added: String,
    /// When the run started (ISO 8601), `null` before.
    pub time_started: Option<String>,
    /// When the run completed (ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_completed: Option<String>,
    /// 3 for `groups`/`permutations`, 2 for `similarity_scores`.
    pub stages: u32,
    /// The current stage.
    pub current_stage: Stage,
    /// Total comparisons, reported on completion.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_number_comparisons: Option<u64>,
    /// The error message of a failed run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip)]
    total: u64,
}

const STAGE1: &str = "waiting for CLKs";
const STAGE1_PROGRESS: &str = "number of parties already contributed";
const STAGE2: &str = "compute similarity scores";
const STAGE2_PROGRESS: &str = "number of already computed similarity scores";
const STAGE3: &str = "compute output";

fn progress(absolute: u64, total: u64, description: &str) -> Progress {
    let relative = if total == 0 {
        0.0
    } else {
        (absolute as f64 / total as f64).min(1.0)
    };
    Progress {
        absolute,
        relative,
        description: description.to_string(),
    }
}

impl RunStatus {
    /// A new run in state `created`, stage 1, waiting for `parties` parties (none contributed).
    pub fn new(run_type: RunType, parties: u64) -> Self {
        RunStatus {
            state: RunState::Created,
            time_added: iso8601_now(),
            time_started: None,
            time_completed: None,
            stages: match run_type {
                RunType::Default => 3,
                RunType::NoMapping => 2,
            },
            current_stage: Stage {
                number: 1,
                description: STAGE1.to_string(),
                progress: Some(progress(0, parties, STAGE1_PROGRESS)),
            },
            total_number_comparisons: None,
            message: None,
            total: parties,
        }
    }

    /// Stage 1 progress: `contributed` of the parties have their data loaded.
    pub fn parties_contributed(&mut self, contributed: u64) {
        if self.current_stage.number == 1 {
            self.current_stage.progress = Some(progress(contributed, self.total, STAGE1_PROGRESS));
        }
    }

    /// All data ready: state `queued`.
    pub fn queue(&mut self) {
        self.state = RunState::Queued;
    }

    /// Starts computing: state `running`, `time_started` set, stage 2 with `total_comparisons`
    /// to do.
    pub fn start_comparisons(&mut self, total_comparisons: u64) {
        self.state = RunState::Running;
        if self.time_started.is_none() {
            self.time_started = Some(iso8601_now());
        }
        self.total = total_comparisons;
        self.current_stage = Stage {
            number: 2,
            description: STAGE2.to_string(),
            progress: Some(progress(0, total_comparisons, STAGE2_PROGRESS)),
        };
    }

    /// Stage 2 progress: `done` comparisons so far (relative clamped to 1.0).
    pub fn comparisons_done(&mut self, done: u64) {
        if self.current_stage.number == 2 {
            self.current_stage.progress = Some(progress(done, self.total, STAGE2_PROGRESS));
        }
    }

    /// Stage 3 (solving and writing the output; no progress). Only for 3-stage runs; a 2-stage
    /// run stays in stage 2.
    pub fn start_output(&mut self) {
        if self.stages >= 3 {
            self.current_stage = Stage {
                number: 3,
                description: STAGE3.to_string(),
                progress: None,
            };
        }
    }

    /// The run finished: state `completed`, `time_completed` and the total comparisons set.
    pub fn complete(&mut self, total_number_comparisons: u64) {
        self.state = RunState::Completed;
        self.time_completed = Some(iso8601_now());
        self.total_number_comparisons = Some(total_number_comparisons);
    }

    /// The run failed with `message` (which must not contain any data).
    pub fn fail(&mut self, message: &str) {
        self.state = RunState::Error;
        self.message = Some(message.to_string());
    }

    /// The status as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Writes the status to `path` atomically, so a poller never sees a partial file.
    pub fn write(&self, path: &Path) -> Result<()> {
        let text = self.to_json();
        write_atomically(path, |out| {
            out.write_all(text.as_bytes())
                .map_err(|e| Error::write(path, e))
        })
    }
}

/// The current UTC time as ISO 8601 with microseconds and offset,
/// e.g. `2020-04-03T01:20:55.141739+00:00`.
pub fn iso8601_now() -> String {
    crate::timestamp::iso8601_micros(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_and_clamping() {
        let mut s = RunStatus::new(RunType::Default, 2);
        s.parties_contributed(2);
        let j = s.to_json();
        assert!(
            j.starts_with("{\"state\":\"created\",\"time_added\":"),
            "{j}"
        );
        assert!(j.contains("\"time_started\":null,\"stages\":3,"), "{j}");
        assert!(
            j.contains("\"progress\":{\"absolute\":2,\"relative\":1.0,"),
            "{j}"
        );
        s.queue();
        s.start_comparisons(10);
        s.comparisons_done(12);
        let p = s.current_stage.progress.clone().unwrap();
        assert_eq!((p.absolute, p.relative), (12, 1.0));
        s.start_output();
        s.complete(10);
        let j = s.to_json();
        assert!(j.contains("\"current_stage\":{\"number\":3,\"description\":\"compute output\"},\"total_number_comparisons\":10}"), "{j}");
        let mut z = RunStatus::new(RunType::NoMapping, 2);
        z.start_comparisons(0);
        assert_eq!(z.current_stage.progress.as_ref().unwrap().relative, 0.0);
        z.start_output();
        assert_eq!(z.current_stage.number, 2);
    }
}
