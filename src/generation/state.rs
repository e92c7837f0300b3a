//! The generation state machine, in one place. The database holds the same
//! table (`generation_status_transitions`) and refuses any other change.

use super::model::GenerationStatus::{self, *};

/// Every allowed (from, to) change of status.
pub const TRANSITIONS: &[(GenerationStatus, GenerationStatus)] = &[
    (Pending, ProcessingSamples),
    (Pending, Failed),
    (Pending, Cancelled),
    (Pending, ContentRejected),
    (ProcessingSamples, AwaitingSelection),
    (ProcessingSamples, Failed),
    (ProcessingSamples, Cancelled),
    (ProcessingSamples, ContentRejected),
    (AwaitingSelection, ProcessingFinal),
    (AwaitingSelection, Failed),
    (AwaitingSelection, Cancelled),
    (ProcessingFinal, Completed),
    (ProcessingFinal, Failed),
    (ProcessingFinal, Cancelled),
];

impl GenerationStatus {
    /// Whether `self -> to` is allowed.
    pub fn can_become(self, to: GenerationStatus) -> bool {
        TRANSITIONS.contains(&(self, to))
    }

    /// No change can follow.
    pub fn is_terminal(self) -> bool {
        matches!(self, Completed | Failed | Cancelled | ContentRejected)
    }

    /// How far along the pipeline a status is. Every transition moves forward, so
    /// of two snapshots of one request, the one at an earlier stage is older.
    pub fn stage(self) -> u8 {
        match self {
            Pending => 0,
            ProcessingSamples => 1,
            AwaitingSelection => 2,
            ProcessingFinal => 3,
            Completed | Failed | Cancelled | ContentRejected => 4,
        }
    }

    /// The statuses that may move to `to`.
    pub fn sources_of(to: GenerationStatus) -> Vec<GenerationStatus> {
        TRANSITIONS
            .iter()
            .filter(|(_, t)| *t == to)
            .map(|(from, _)| *from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transition_moves_to_a_later_stage() {
        for (from, to) in TRANSITIONS {
            assert!(from.stage() < to.stage(), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn terminal_states_lead_nowhere() {
        for status in GenerationStatus::ALL {
            if status.is_terminal() {
                assert!(GenerationStatus::ALL
                    .iter()
                    .all(|to| !status.can_become(*to)));
            }
        }
    }

    #[test]
    fn the_happy_path_is_allowed_and_skipping_is_not() {
        assert!(Pending.can_become(ProcessingSamples));
        assert!(ProcessingSamples.can_become(AwaitingSelection));
        assert!(AwaitingSelection.can_become(ProcessingFinal));
        assert!(ProcessingFinal.can_become(Completed));
        assert!(!Pending.can_become(Completed));
        assert!(!AwaitingSelection.can_become(Completed));
        assert!(!Completed.can_become(Cancelled));
        assert!(!AwaitingSelection.can_become(ContentRejected));
    }

    #[test]
    fn the_code_table_matches_the_migration() {
        let sql = include_str!("../../migrations/2026-11-22-000013_generation_pipeline/up.sql");
        for (from, to) in TRANSITIONS {
            let row = format!("('{}', '{}')", from.as_db_str(), to.as_db_str());
            assert!(sql.contains(&row), "migration lacks {row}");
        }
        assert_eq!(sql.matches("    ('").count(), TRANSITIONS.len());
    }
}
