'use strict';

const { MONTH_RANGE } = require('./tokens');

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parse "YYYY-MM-DD" into a Date at midnight UTC.
 */
function parseDate(text) {
  const match = ISO_DATE.exec(text.trim());
  if (!match) {
    throw new RangeError(`invalid date: ${text}`);
  }
  const [year, month, day] = match.slice(1).map(Number);
  return new Date(Date.UTC(year, month - 1, day));
}

module.exports = { parseDate, MONTH_RANGE };
