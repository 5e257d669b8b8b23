# One image for all six functions; each KService sets FUNCTION (knative/<function>.yaml), which
# picks the bundle to run. Built by `docker build -t <registry>/coffeebuddy:<tag> .`
# (README "Deploy to Knative").

# --- build: all dependencies, then everything under dist/ ---------------------------------
# Both stages on the same Node 24 LTS release, the one scripts/node24/package.json pins for the
# tests and the bench (scripts/node-binaries.test.ts checks they agree). A version tag;
# README "Deploy to Knative" says how to pin its digest as well.
FROM node:24.22.3-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so a change to the sources reuses this layer. No install scripts: the root
# postinstall fetches the tests' Node 24 (scripts/node24/, not needed here, and not copied yet),
# and the build runs none of the dependencies' (esbuild's binary is its platform package).
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY functions ./functions
COPY shared ./shared
COPY scripts ./scripts
# dist/<function>/index.mjs, and the setup job's tools (knative/setup-job.yaml) in dist/tools/:
# migrate.mjs with the SQL files in migrations/ beside it, and create-topics.mjs (scripts/bundle.ts).
RUN npm run build

# --- runtime: Node and the bundles, nothing else -----------------------------------------
# The bundles carry their dependencies (scripts/bundle.ts marks nothing external), so the
# runtime has no node_modules and no dev dependency.
FROM node:24.22.3-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/dist ./dist
# The image's `node` user, by number, so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# exec: node is PID 1 and gets SIGTERM itself, to drain (shared/standalone.ts).
# kafkajs 2.2.4 sets a negative timeout that Node 24 reports on stderr as TimeoutNegativeWarning,
# outside the JSON logs (harmless: Node 20 rounded it to 1 ms silently; tulios/kafkajs#1751).
CMD ["sh", "-c", "exec node --enable-source-maps --disable-warning=TimeoutNegativeWarning \"dist/${FUNCTION:?set FUNCTION to the function to run}/index.mjs\""]
