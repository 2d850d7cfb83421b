'use strict';

// Longest tokens first so that "YYYY" wins over "YY".
const TOKEN_PATTERN = /YYYY|YY|MM|DD|HH|hh|mm|ss|A/g;

const MONTH_RANGE = [1, 12];

module.exports = { TOKEN_PATTERN, MONTH_RANGE };
