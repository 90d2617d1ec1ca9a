/**
 * Peak RSS of this process. `process.resourceUsage().maxRSS` is getrusage's ru_maxrss, and on Linux that
 * includes the high-water mark of the image before exec (fs/exec.c keeps it in signal->maxrss): a child
 * forked from a 460 MiB parent reported maxRSS 408 MiB while its own peak (VmHWM) was 42 MiB. The bench's
 * parent holds the Athena fake and the BigQuery sink, so ru_maxrss would report the parent, not the run.
 * VmHWM in /proc/self/status is the peak of the current image only; maxRSS is kept for comparison and used
 * where /proc does not exist.
 */
import { readFileSync } from 'node:fs';

export function peakRss(): { peakRssKiB: number; source: 'VmHWM' | 'maxRSS'; maxRssKiB: number } {
  const maxRssKiB = process.resourceUsage().maxRSS;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return { peakRssKiB: Number(m[1]), source: 'VmHWM', maxRssKiB };
  } catch {
    // not Linux
  }
  return { peakRssKiB: maxRssKiB, source: 'maxRSS', maxRssKiB };
}
