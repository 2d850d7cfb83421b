/** Format `date` (read in UTC) with a pattern such as "YYYY-MM-DD hh:mm A". */
export function format(date: Date, pattern: string): string;

/** Parse "YYYY-MM-DD" into a Date at midnight UTC. */
export function parseDate(text: string): Date;
