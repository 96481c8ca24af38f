/** The records the data sources yield (JSONL files and synthetic sources alike). */

/** A question with its ground truth, as the trainer and evaluation use it. */
export interface QaRecord {
  question: string;
  answer: string;
  source: string;
  /** Remaining fields of the input row, passed to rewards. */
  extra?: Record<string, unknown>;
}

/** A supervised pair for the SFT stage (the question is rendered with the run's prompt template). */
export interface SftRecord {
  prompt: string;
  response: string;
}
