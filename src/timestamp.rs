//! UTC timestamps for the files clklink writes: run status (the service's ISO 8601 form with
//! microseconds and an explicit offset) and native-file metadata (RFC 3339, whole seconds).

use std::time::SystemTime;

use time::macros::format_description;
use time::OffsetDateTime;

fn utc(t: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from(t)
}

/// `2020-04-03T01:20:55.141739+00:00`, as the service writes `time_added` and friends.
pub(crate) fn iso8601_micros(t: SystemTime) -> String {
    let fmt = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]+00:00"
    );
    utc(t).format(&fmt).unwrap_or_default()
}

/// `2023-11-14T22:13:20Z`: RFC 3339 in UTC with whole seconds.
pub(crate) fn rfc3339_seconds(t: SystemTime) -> String {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    utc(t).format(&fmt).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64, micros: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros)
    }

    #[test]
    fn formats() {
        assert_eq!(iso8601_micros(at(0, 0)), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            iso8601_micros(at(1_585_876_855, 141_739)),
            "2020-04-03T01:20:55.141739+00:00"
        );
        assert_eq!(rfc3339_seconds(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
        assert_eq!(
            rfc3339_seconds(at(1_700_000_000, 999_999)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            rfc3339_seconds(at(4_107_542_399, 0)),
            "2100-02-28T23:59:59Z"
        );
    }
}
