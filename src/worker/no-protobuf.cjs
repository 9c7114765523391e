/* global module */
// Stands in for protobufjs/minimal in the Worker bundle: @datadog/sketches-js requires it only to (de)serialise
// sketches as protobuf, which simgate never does (its duration bins are plain counters in the index store).
const unavailable = () => {
  throw new Error('protobuf serialisation of sketches is not available in the simgate Worker');
};
module.exports = { Reader: { create: unavailable }, Writer: { create: unavailable }, util: {}, roots: {}, rpc: {} };
