/* global module */
// Stands in for @datadog/sketches-js's dist/ddsketch/proto/compiled.js (its protobuf messages) in the Worker bundle:
// the library requires it only inside toProto / fromProto, to (de)serialise sketches as protobuf, which simgate
// never does (its duration bins are plain counters in the index store). Any use throws.
const unavailable = () => {
  throw new Error('protobuf serialisation of sketches is not available in the simgate Worker');
};
module.exports = Object.defineProperties(
  {},
  Object.fromEntries(['DDSketch', 'IndexMapping', 'Store'].map((name) => [name, { get: unavailable, enumerable: true }])),
);
