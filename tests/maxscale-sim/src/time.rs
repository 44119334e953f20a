//! Date formatting without a date crate: HTTP dates (UTC) and MaxScale's local-time log stamps.

use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A broken-down time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tm {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub min: u32,
    pub sec: u32,
    /// 0 = Sunday
    pub wday: u32,
}

fn small(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// UTC broken-down time (H. Hinnant's `civil_from_days`).
pub fn utc(secs: i64) -> Tm {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Tm {
        year,
        month: small(month),
        day: small(day),
        hour: small(rem / 3600),
        min: small(rem % 3600 / 60),
        sec: small(rem % 60),
        wday: small((days + 4).rem_euclid(7)),
    }
}

/// Local broken-down time through `localtime_r(3)`; falls back to UTC.
pub fn local(secs: i64) -> Tm {
    let t: libc::time_t = secs as libc::time_t;
    // SAFETY: `tm` is plain old data that localtime_r fills in; both pointers are valid for
    // the duration of the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return utc(secs);
    }
    Tm {
        year: i64::from(tm.tm_year) + 1900,
        month: small(i64::from(tm.tm_mon) + 1),
        day: small(i64::from(tm.tm_mday)),
        hour: small(i64::from(tm.tm_hour)),
        min: small(i64::from(tm.tm_min)),
        sec: small(i64::from(tm.tm_sec)),
        wday: small(i64::from(tm.tm_wday)),
    }
}

fn day_name(tm: &Tm) -> &'static str {
    DAYS[(tm.wday % 7) as usize]
}

fn month_name(tm: &Tm) -> &'static str {
    MONTHS[((tm.month + 11) % 12) as usize]
}

/// `Mon, 23 Nov 2026 13:41:25 GMT` (RFC 7231; what MaxScale puts in JSON and libmicrohttpd in `Date`).
pub fn http_date(secs: i64) -> String {
    let tm = utc(secs);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        day_name(&tm),
        tm.day,
        month_name(&tm),
        tm.year,
        tm.hour,
        tm.min,
        tm.sec
    )
}

/// `Mon, 23 Nov 26 13:41:25 GMT`: the `Date` header of MaxScale-generated replies has a 2-digit year.
pub fn http_date_short_year(secs: i64) -> String {
    let tm = utc(secs);
    format!(
        "{}, {:02} {} {:02} {:02}:{:02}:{:02} GMT",
        day_name(&tm),
        tm.day,
        month_name(&tm),
        tm.year.rem_euclid(100),
        tm.hour,
        tm.min,
        tm.sec
    )
}

/// `2026-11-23 13:41:25` in local time, the prefix of every maxscale.log line.
pub fn log_stamp(secs: i64) -> String {
    let tm = local(secs);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        tm.year, tm.month, tm.day, tm.hour, tm.min, tm.sec
    )
}

/// `Mon Nov 23 13:41:25 2026` (ctime style, used in the log file banner).
pub fn ctime(secs: i64) -> String {
    let tm = local(secs);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        day_name(&tm),
        month_name(&tm),
        tm.day,
        tm.hour,
        tm.min,
        tm.sec,
        tm.year
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // 2026-11-23 13:41:25 UTC is a Monday.
        let t = 1_795_441_285;
        assert_eq!(http_date(t), "Mon, 23 Nov 2026 13:41:25 GMT");
        assert_eq!(http_date_short_year(t), "Mon, 23 Nov 26 13:41:25 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }
}
