import { node24Binary, node24Version } from '../../scripts/node-binaries.ts';
import { rehearseDeployment } from './life.ts';

// The image's Node (the Dockerfile's node:24 base), from the npm package of the same release.
rehearseDeployment(`Node ${node24Version()} (the image's)`, node24Binary);
