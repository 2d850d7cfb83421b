'use strict';

const { pad } = require('./pad');
const { TOKEN_PATTERN } = require('./tokens');

function hours12(date) {
  return date.getUTCHours() % 12;
}

const FORMATTERS = {
  YYYY: (d) => String(d.getUTCFullYear()),
  YY: (d) => pad(d.getUTCFullYear() % 100),
  MM: (d) => pad(d.getUTCMonth() + 1),
  DD: (d) => pad(d.getUTCDate()),
  HH: (d) => pad(d.getUTCHours()),
  hh: (d) => pad(hours12(d)),
  mm: (d) => pad(d.getUTCMinutes()),
  ss: (d) => pad(d.getUTCSeconds()),
  A: (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
};

/**
 * Format `date` (a Date, read in UTC) with a pattern such as "YYYY-MM-DD hh:mm A".
 */
function format(date, pattern) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError('format() expects a valid Date');
  }
  return pattern.replace(TOKEN_PATTERN, (token) => FORMATTERS[token](date));
}

module.exports = { format };
