# One image for all six functions; each KService sets FUNCTION (knative/<function>.yaml), which
# picks the bundle to run. Built by `docker build -t <registry>/coffeebuddy:<tag> .`
# (README "Deploy to Knative").

# --- build: all dependencies, then one self-contained bundle per function --------------------
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
# dist/<function>/index.mjs (scripts/bundle.ts), then the setup job's tools (knative/setup-job.yaml):
# migrations and topic creation, with the SQL files beside the bundle, where shared/db/migrate.ts
# looks for them (./migrations/ next to the module).
RUN npm run build \
 && npx esbuild scripts/migrate.ts scripts/create-topics.ts \
      --bundle --platform=node --target=node20 --format=esm --minify --sourcemap \
      --outdir=dist/tools --out-extension:.js=.mjs \
      "--banner:js=import { createRequire as __cbCreateRequire } from 'node:module'; const require = __cbCreateRequire(import.meta.url);" \
 && cp -r shared/db/migrations dist/tools/migrations

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
CMD ["sh", "-c", "exec node --enable-source-maps \"dist/${FUNCTION:?set FUNCTION to the function to run}/index.mjs\""]
