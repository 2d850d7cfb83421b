'use strict';

/**
 * Left-pad a number with zeros to `width` digits.
 */
function pad(value, width = 2) {
  return String(value).padStart(width, '0');
}

module.exports = { pad };
