'use strict';

const { format } = require('./format');
const { parseDate } = require('./parse');

module.exports = { format, parseDate };
