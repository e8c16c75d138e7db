// The simulated navigation set-up behind `igtl-rx simulate`: also usable from tests and examples.
// Internals (the PRNG, command parsing, the sample sender) are imported from their own files by
// the tests; this is the public surface.
export {
  createSimulator, Simulator, SIMULATED_STREAMS, SIMULATOR_COMMANDS, MAX_TRACKING_RATE_HZ, MAX_IMAGE_RATE_HZ,
  type SimulatorOptions, type SimulatorEvent, type SimulatedStream,
} from './simulator.js';
export { lostSince, OUT_OF_VIEW_STATUS, type OutOfView, type LostToolPolicy } from './out-of-view.js';
export { createTrajectory, DEFAULT_TOOLS, type ToolSpec, type Pose, type Trajectory } from './trajectories.js';
export { createImageSource, type ImageSource, type ImageSourceOptions } from './image-source.js';
export { ticks, type TickOptions } from './clock.js';
