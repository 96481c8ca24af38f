/**
 * The longest delay a Node timer honours (2^31 - 1 ms, about 24.8 days). A longer one fires after 1 ms, so a
 * generous deadline would abort work at once: every timer set from a caller's deadline goes through
 * `timerDelay`, which caps it (a deadline that far away means "no deadline" in practice).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function timerDelay(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.min(Math.max(0, ms), MAX_TIMER_MS);
}
