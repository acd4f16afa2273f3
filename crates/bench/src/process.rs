//! This process as the Linux kernel accounts for it (`/proc/self`): its peak resident set
//! size, and how long its threads ran on a CPU and waited for one. On a machine shared with
//! other work, the wait says how much of a wall time was spent queued rather than working.

use std::time::Duration;

/// This process's peak resident set size in bytes (`VmHWM` in `/proc/self/status`), or
/// `None` where the kernel does not report it.
pub fn peak_rss_bytes() -> Option<u64> {
    vm_hwm_bytes(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// The `VmHWM:   123456 kB` line of a `/proc/<pid>/status` text, in bytes.
fn vm_hwm_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

/// Time on a CPU and time runnable but waiting for one, summed over the live threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SchedTimes {
    pub on_cpu: Duration,
    pub waiting: Duration,
}

impl SchedTimes {
    /// The sums of `/proc/self/task/*/schedstat`; zero where the kernel does not keep them.
    /// Threads that ended are no longer counted, so compare readings taken while the same
    /// threads live.
    pub fn now() -> Self {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return Self::default();
        };
        tasks
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
            .filter_map(|text| parse_schedstat(&text))
            .fold(Self::default(), |sum, task| Self {
                on_cpu: sum.on_cpu + task.on_cpu,
                waiting: sum.waiting + task.waiting,
            })
    }

    /// The times from `earlier` to `self` (zero where a thread's end made them shrink).
    pub fn since(self, earlier: Self) -> Self {
        Self {
            on_cpu: self.on_cpu.saturating_sub(earlier.on_cpu),
            waiting: self.waiting.saturating_sub(earlier.waiting),
        }
    }
}

/// `<ns on cpu> <ns waiting on a run queue> <timeslices>`.
fn parse_schedstat(text: &str) -> Option<SchedTimes> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let on_cpu = fields.next()?.ok()?;
    let waiting = fields.next()?.ok()?;
    Some(SchedTimes {
        on_cpu: Duration::from_nanos(on_cpu),
        waiting: Duration::from_nanos(waiting),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_is_read_from_the_vm_hwm_line() {
        let status = "Name:\tbench\nVmPeak:\t  900000 kB\nVmHWM:\t   81234 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(81_234 * 1024));
        assert_eq!(vm_hwm_bytes("Name:\tbench\n"), None);
    }

    #[test]
    fn schedstat_gives_cpu_and_wait_times() {
        let times = parse_schedstat("353487761 481525831 669\n").expect("times");
        assert_eq!(times.on_cpu, Duration::from_nanos(353_487_761));
        assert_eq!(times.waiting, Duration::from_nanos(481_525_831));
        assert_eq!(parse_schedstat("garbage"), None);
    }

    #[test]
    fn this_process_has_run() {
        assert!(SchedTimes::now().on_cpu > Duration::ZERO);
    }
}
