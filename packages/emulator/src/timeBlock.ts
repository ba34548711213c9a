/** ISO 8601 with an explicit offset, as Bitrix24 prints `date_start` (`2025-09-09T16:31:11+00:00`). */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

export interface TimeBlock {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at?: number;
  operating?: number;
}

/** The `time` object of a success envelope (reference §5). Times are unix seconds with fractions. */
export function timeBlock(
  startMs: number,
  finishMs: number,
  operating?: { operating: number; resetAt: number },
): TimeBlock {
  const seconds = Math.max(0, finishMs - startMs) / 1000;
  const block: TimeBlock = {
    start: startMs / 1000,
    finish: finishMs / 1000,
    duration: seconds,
    processing: seconds,
    date_start: isoSeconds(startMs),
    date_finish: isoSeconds(finishMs),
  };
  if (operating) {
    block.operating_reset_at = operating.resetAt;
    block.operating = Math.round(operating.operating * 1e6) / 1e6;
  }
  return block;
}
