import { rehearseDeployment } from './life.ts';

// Development's Node (this machine's), on which the bundles must run too.
rehearseDeployment(`Node ${process.versions.node} (development)`, () => process.execPath);
