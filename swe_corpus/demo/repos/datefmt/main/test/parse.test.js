'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { parseDate } = require('../src/parse');

test('parses an ISO date', () => {
  assert.strictEqual(parseDate('2024-03-05').toISOString(), '2024-03-05T00:00:00.000Z');
});

test('rejects garbage', () => {
  assert.throws(() => parseDate('March 5th'), RangeError);
});
