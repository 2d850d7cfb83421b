'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { format } = require('../src/format');

test('formats an ISO date', () => {
  assert.strictEqual(format(new Date(Date.UTC(2024, 2, 5)), 'YYYY-MM-DD'), '2024-03-05');
});

test('formats afternoon hours on a 12-hour clock', () => {
  assert.strictEqual(format(new Date(Date.UTC(2024, 2, 5, 15, 4)), 'hh:mm A'), '03:04 PM');
});
